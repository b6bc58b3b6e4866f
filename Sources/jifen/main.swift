import Foundation
import JifenApp

exit(await Entry.main(arguments: CommandLine.arguments, environment: ProcessInfo.processInfo.environment))
