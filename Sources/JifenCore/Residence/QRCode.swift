/// A QR code symbol (ISO/IEC 18004, Model 2), for the codes printed on rental-house doors.
/// The text is encoded as UTF-8 in byte mode. Byte mode means ISO 8859-1 unless an ECI says
/// otherwise, so non-ASCII text gets an ECI 26 (UTF-8) header; without it readers guess, and some
/// guess Shift JIS for short Chinese text. Plain ASCII (URLs) needs no header. Pure computation.
public struct QRCode: Sendable, Equatable {
    public enum ErrorCorrection: Sendable {
        case low, medium, quartile, high

        /// Row in the block tables, which list the levels in the order L, M, Q, H.
        fileprivate var tableRow: Int {
            switch self {
            case .low: 0
            case .medium: 1
            case .quartile: 2
            case .high: 3
            }
        }

        /// The two bits the format information carries; the standard does not number them L, M, Q, H.
        fileprivate var formatBits: Int {
            switch self {
            case .low: 1
            case .medium: 0
            case .quartile: 3
            case .high: 2
            }
        }
    }

    /// Modules per side: 21 for version 1, growing by 4 per version to 177 for version 40.
    public let size: Int
    public let version: Int
    /// Row-major, `size * size`, true = dark.
    private let modules: [Bool]

    /// True for a dark module. Coordinates outside the symbol read as light, as the quiet zone is.
    public subscript(x: Int, y: Int) -> Bool {
        guard (0..<size).contains(x), (0..<size).contains(y) else { return false }
        return modules[y * size + x]
    }

    /// Encodes `text` as UTF-8 in byte mode, choosing the smallest version (1…40) that fits at the
    /// given level, and the mask with the lowest penalty (ISO/IEC 18004 rules).
    public static func encode(_ text: String, correction: ErrorCorrection = .medium) throws -> QRCode {
        let bytes = Array(text.utf8)
        return try encode(bytes: bytes, correction: correction, utf8ECI: bytes.contains { $0 >= 0x80 })
    }

    /// The same for raw bytes, with a lowest version and a fixed mask for tests that compare
    /// against other encoders.
    static func encode(bytes: [UInt8], correction: ErrorCorrection, utf8ECI: Bool = false,
                       minimumVersion: Int = 1, mask fixedMask: Int? = nil) throws -> QRCode {
        guard let version = (max(1, minimumVersion)...40).first(where: { v in
            // ECI header (mode + designator), byte mode indicator, character count, the bytes.
            (utf8ECI ? 12 : 0) + 4 + countBits(v) + 8 * bytes.count <= dataCodewordCount(v, correction) * 8
        }) else { throw QRCodeTooLong() }

        let data = dataCodewords(bytes, utf8ECI: utf8ECI, version: version, correction: correction)
        let codewords = interleavedWithErrorCorrection(data, version: version, correction: correction)

        var grid = Grid(version: version)
        grid.drawFunctionPatterns()
        grid.placeCodewords(codewords)

        // Try every mask on a copy and keep the one the penalty rules like best (the first on ties).
        let mask = fixedMask ?? {
            let penalties = (0..<8).map { grid.masked($0, correction).penalty() }
            return penalties.indices.min { penalties[$0] < penalties[$1] }!
        }()
        let final = grid.masked(mask, correction)
        return QRCode(size: final.size, version: version, modules: final.modules)
    }

    /// An SVG document (viewBox in modules, with a 4-module quiet zone, one `<path>` of dark squares,
    /// `shape-rendering="crispEdges"`), suitable for printing on a rental-house door. `moduleSize`
    /// only sets the default width and height in pixels; the drawing scales freely.
    public func svg(moduleSize: Int = 8) -> String {
        let quiet = 4
        let side = size + 2 * quiet
        let pixels = side * max(1, moduleSize)
        // Horizontal runs of dark modules become one rectangle each, which keeps the path short.
        var path = ""
        for y in 0..<size {
            var x = 0
            while x < size {
                guard self[x, y] else { x += 1; continue }
                var run = 1
                while self[x + run, y] { run += 1 }
                path += "M\(x + quiet),\(y + quiet)h\(run)v1h-\(run)z"
                x += run
            }
        }
        // The white background makes the quiet zone light even on a dark door or a transparent render.
        return """
        <?xml version="1.0" encoding="UTF-8"?>
        <svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="\(pixels)" height="\(pixels)" \
        viewBox="0 0 \(side) \(side)" shape-rendering="crispEdges">
        <rect width="\(side)" height="\(side)" fill="#ffffff"/>
        <path d="\(path)" fill="#000000"/>
        </svg>

        """
    }
}

/// The text needs more than a version 40 symbol holds at the chosen level: 2953 UTF-8 bytes at low,
/// 2331 at medium, 1663 at quartile, 1273 at high (one fewer for non-ASCII text, for the ECI header).
public struct QRCodeTooLong: Error, Sendable {}

// MARK: - Capacity tables (ISO/IEC 18004 Table 9), index 0 unused so that index = version.

extension QRCode {
    /// Error correction codewords in each block, per level (L, M, Q, H) and version.
    private static let eccPerBlock: [[Int]] = [
        [0, 7, 10, 15, 20, 26, 18, 20, 24, 30, 18, 20, 24, 26, 30, 22, 24, 28, 30, 28, 28, 28, 28, 30, 30, 26, 28, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30],
        [0, 10, 16, 26, 18, 24, 16, 18, 22, 22, 26, 30, 22, 22, 24, 24, 28, 28, 26, 26, 26, 26, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28],
        [0, 13, 22, 18, 26, 18, 24, 18, 22, 20, 24, 28, 26, 24, 20, 30, 24, 28, 28, 26, 30, 28, 30, 30, 30, 30, 28, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30],
        [0, 17, 28, 22, 16, 22, 28, 26, 26, 24, 28, 24, 28, 22, 24, 24, 30, 28, 28, 26, 28, 30, 24, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30],
    ]

    /// Number of error correction blocks, per level (L, M, Q, H) and version.
    private static let blockCount: [[Int]] = [
        [0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 4, 4, 4, 4, 4, 6, 6, 6, 6, 7, 8, 8, 9, 9, 10, 12, 12, 12, 13, 14, 15, 16, 17, 18, 19, 19, 20, 21, 22, 24, 25],
        [0, 1, 1, 1, 2, 2, 4, 4, 4, 5, 5, 5, 8, 9, 9, 10, 10, 11, 13, 14, 16, 17, 17, 18, 20, 21, 23, 25, 26, 28, 29, 31, 33, 35, 37, 38, 40, 43, 45, 47, 49],
        [0, 1, 1, 2, 2, 4, 4, 6, 6, 8, 8, 8, 10, 12, 16, 12, 17, 16, 18, 21, 20, 23, 23, 25, 27, 29, 34, 34, 35, 38, 40, 43, 45, 48, 51, 53, 56, 59, 62, 65, 68],
        [0, 1, 1, 2, 4, 4, 4, 5, 6, 8, 8, 11, 11, 16, 16, 18, 16, 19, 21, 25, 25, 25, 34, 30, 32, 35, 37, 40, 42, 45, 48, 51, 54, 57, 60, 63, 66, 70, 74, 77, 81],
    ]

    /// Byte mode's character count indicator is 8 bits up to version 9 and 16 bits from version 10.
    private static func countBits(_ version: Int) -> Int { version <= 9 ? 8 : 16 }

    /// All codewords (data + error correction) a version holds: the modules left after the
    /// function patterns, format and version information, in whole bytes (the rest are remainder bits).
    private static func totalCodewordCount(_ version: Int) -> Int {
        var modules = (16 * version + 128) * version + 64   // everything but finders, timing, format
        if version >= 2 {
            let n = version / 7 + 2                       // alignment patterns per row
            modules -= (25 * n - 10) * n - 55             // alignment patterns, minus their overlap with timing
            if version >= 7 { modules -= 36 }             // two 6×3 version information blocks
        }
        return modules / 8
    }

    private static func dataCodewordCount(_ version: Int, _ level: ErrorCorrection) -> Int {
        totalCodewordCount(version) - eccPerBlock[level.tableRow][version] * blockCount[level.tableRow][version]
    }

    /// Alignment pattern centres on each axis. The standard's table follows a rule: first at 6, last at
    /// size − 7, the rest evenly spaced by an even step (version 32 is the one exception, 26 instead of 28).
    fileprivate static func alignmentPositions(_ version: Int) -> [Int] {
        guard version >= 2 else { return [] }
        let count = version / 7 + 2
        let step = version == 32 ? 26 : (version * 4 + count * 2 + 1) / (count * 2 - 2) * 2
        let last = version * 4 + 17 - 7
        return [6] + (0..<(count - 1)).map { last - $0 * step }.reversed()
    }
}

// MARK: - Codewords

extension QRCode {
    /// [ECI,] mode, count, bytes, terminator, bit padding and the alternating pad bytes 0xEC 0x11.
    private static func dataCodewords(_ bytes: [UInt8], utf8ECI: Bool, version: Int, correction: ErrorCorrection) -> [UInt8] {
        let capacity = dataCodewordCount(version, correction)
        var bits: [Bool] = []
        func append(_ value: Int, _ length: Int) {
            for i in stride(from: length - 1, through: 0, by: -1) { bits.append((value >> i) & 1 == 1) }
        }
        if utf8ECI {
            append(0b0111, 4)                              // ECI mode
            append(26, 8)                                  // designator 26 = UTF-8, one byte as it is < 128
        }
        append(0b0100, 4)                                  // byte mode
        append(bytes.count, countBits(version))
        for byte in bytes { append(Int(byte), 8) }
        append(0, min(4, capacity * 8 - bits.count))       // terminator, shortened if the symbol is full
        append(0, (8 - bits.count % 8) % 8)                // up to a byte boundary

        var result = stride(from: 0, to: bits.count, by: 8).map { start in
            bits[start..<start + 8].reduce(UInt8(0)) { $0 << 1 | ($1 ? 1 : 0) }
        }
        var pad: UInt8 = 0xEC
        while result.count < capacity {
            result.append(pad)
            pad = pad == 0xEC ? 0x11 : 0xEC
        }
        return result
    }

    /// Splits the data into blocks, appends each block's Reed–Solomon codewords, and interleaves:
    /// first byte of every block, second byte of every block, …, then the same for the ECC bytes.
    /// Later blocks are one data byte longer when the codewords do not divide evenly.
    private static func interleavedWithErrorCorrection(_ data: [UInt8], version: Int, correction: ErrorCorrection) -> [UInt8] {
        let blocks = blockCount[correction.tableRow][version]
        let eccLength = eccPerBlock[correction.tableRow][version]
        let total = totalCodewordCount(version)
        let shortBlocks = blocks - total % blocks
        let shortDataLength = total / blocks - eccLength
        let generator = ReedSolomon.generator(degree: eccLength)

        var dataBlocks: [ArraySlice<UInt8>] = []
        var eccBlocks: [[UInt8]] = []
        var offset = 0
        for index in 0..<blocks {
            let length = shortDataLength + (index < shortBlocks ? 0 : 1)
            let block = data[offset..<offset + length]
            offset += length
            dataBlocks.append(block)
            eccBlocks.append(ReedSolomon.remainder(Array(block), generator: generator))
        }

        var result: [UInt8] = []
        result.reserveCapacity(total)
        for i in 0...shortDataLength {
            for block in dataBlocks where i < block.count { result.append(block[block.startIndex + i]) }
        }
        for i in 0..<eccLength {
            for block in eccBlocks { result.append(block[i]) }
        }
        return result
    }
}

extension QRCode {
    /// Reed–Solomon error correction over GF(256) with the QR polynomial x⁸ + x⁴ + x³ + x² + 1 (0x11D).
    private enum ReedSolomon {
        /// Carry-less multiplication reduced modulo 0x11D; small enough that log tables are not worth it.
        static func multiply(_ x: UInt8, _ y: UInt8) -> UInt8 {
            var product = 0
            for i in stride(from: 7, through: 0, by: -1) {
                product = (product << 1) ^ ((product >> 7) * 0x11D)
                product ^= ((Int(y) >> i) & 1) * Int(x)
            }
            return UInt8(product)
        }

        /// Coefficients of (x − α⁰)(x − α¹)…(x − α^(degree−1)), highest first, the leading 1 left out.
        static func generator(degree: Int) -> [UInt8] {
            var coefficients = [UInt8](repeating: 0, count: degree)
            coefficients[degree - 1] = 1
            var root: UInt8 = 1
            for _ in 0..<degree {
                // Multiply by (x − root); in GF(2⁸) subtraction is XOR.
                for j in 0..<degree {
                    coefficients[j] = multiply(coefficients[j], root)
                    if j + 1 < degree { coefficients[j] ^= coefficients[j + 1] }
                }
                root = multiply(root, 0x02)
            }
            return coefficients
        }

        /// The remainder of data·x^degree divided by the generator: the error correction codewords.
        static func remainder(_ data: [UInt8], generator: [UInt8]) -> [UInt8] {
            var result = [UInt8](repeating: 0, count: generator.count)
            for byte in data {
                let factor = byte ^ result.removeFirst()
                result.append(0)
                for i in result.indices { result[i] ^= multiply(generator[i], factor) }
            }
            return result
        }
    }
}

// MARK: - The module grid

extension QRCode {
    /// A symbol under construction: modules plus which of them belong to function patterns,
    /// which neither data nor masks may touch.
    fileprivate struct Grid: Sendable {
        let version, size: Int
        var modules, isFunction: [Bool]

        init(version: Int) {
            self.version = version
            size = version * 4 + 17
            modules = Array(repeating: false, count: size * size)
            isFunction = modules
        }

        subscript(x: Int, y: Int) -> Bool {
            get { modules[y * size + x] }
            set { modules[y * size + x] = newValue }
        }

        mutating func setFunction(_ x: Int, _ y: Int, _ dark: Bool) {
            self[x, y] = dark
            isFunction[y * size + x] = true
        }

        mutating func drawFunctionPatterns() {
            // Timing patterns first; finders and alignment patterns overwrite their ends.
            for i in 0..<size {
                setFunction(6, i, i % 2 == 0)
                setFunction(i, 6, i % 2 == 0)
            }
            // Finder patterns with their light separators: rings at distance 2 and 4 from the centre are light.
            for (cx, cy) in [(3, 3), (size - 4, 3), (3, size - 4)] {
                for dy in -4...4 {
                    for dx in -4...4 where (0..<size).contains(cx + dx) && (0..<size).contains(cy + dy) {
                        let ring = max(abs(dx), abs(dy))
                        setFunction(cx + dx, cy + dy, ring != 2 && ring != 4)
                    }
                }
            }
            // Alignment patterns everywhere on the position grid except where the finders sit.
            let positions = QRCode.alignmentPositions(version)
            for (i, cx) in positions.enumerated() {
                for (j, cy) in positions.enumerated() {
                    let last = positions.count - 1
                    if (i == 0 && j == 0) || (i == 0 && j == last) || (i == last && j == 0) { continue }
                    for dy in -2...2 {
                        for dx in -2...2 { setFunction(cx + dx, cy + dy, max(abs(dx), abs(dy)) != 1) }
                    }
                }
            }
            // Reserve the format areas now (filled per mask later) so that data skips them.
            drawFormat(0)
            drawVersion()
        }

        /// 15 format bits: level and mask, a BCH(15,5) remainder with generator 0x537, XOR 0x5412
        /// so that the word is never all light. Two copies, plus the always-dark module.
        mutating func drawFormat(_ word: Int) {
            var remainder = word
            for _ in 0..<10 { remainder = (remainder << 1) ^ ((remainder >> 9) * 0x537) }
            let bits = (word << 10 | remainder) ^ 0x5412
            func bit(_ i: Int) -> Bool { (bits >> i) & 1 == 1 }

            // Around the top-left finder, skipping the timing pattern at row and column 6.
            for i in 0...5 { setFunction(8, i, bit(i)) }
            setFunction(8, 7, bit(6))
            setFunction(8, 8, bit(7))
            setFunction(7, 8, bit(8))
            for i in 9..<15 { setFunction(14 - i, 8, bit(i)) }
            // Split between the other two finders.
            for i in 0..<8 { setFunction(size - 1 - i, 8, bit(i)) }
            for i in 8..<15 { setFunction(8, size - 15 + i, bit(i)) }
            setFunction(8, size - 8, true)
        }

        /// From version 7: 6 version bits and a BCH(18,6) remainder with generator 0x1F25,
        /// as two 6×3 blocks beside the top-right and bottom-left finders.
        mutating func drawVersion() {
            guard version >= 7 else { return }
            var remainder = version
            for _ in 0..<12 { remainder = (remainder << 1) ^ ((remainder >> 11) * 0x1F25) }
            let bits = version << 12 | remainder
            for i in 0..<18 {
                let dark = (bits >> i) & 1 == 1
                let (a, b) = (size - 11 + i % 3, i / 3)
                setFunction(a, b, dark)
                setFunction(b, a, dark)
            }
        }

        /// Codeword bits, most significant first, in two-module columns zigzagging up and down from
        /// the bottom-right corner, stepping over the vertical timing pattern. Leftover modules stay light.
        mutating func placeCodewords(_ codewords: [UInt8]) {
            var bitIndex = 0
            var right = size - 1
            while right >= 1 {
                if right == 6 { right = 5 }
                let upward = (right + 1) & 2 == 0
                for vertical in 0..<size {
                    let y = upward ? size - 1 - vertical : vertical
                    for x in [right, right - 1] where !isFunction[y * size + x] && bitIndex < codewords.count * 8 {
                        self[x, y] = (codewords[bitIndex >> 3] >> (7 - (bitIndex & 7))) & 1 == 1
                        bitIndex += 1
                    }
                }
                right -= 2
            }
        }

        /// A copy with data mask `mask` applied (XOR on every non-function module) and its format information.
        func masked(_ mask: Int, _ correction: ErrorCorrection) -> Grid {
            var copy = self
            for y in 0..<size {
                for x in 0..<size where !isFunction[y * size + x] {
                    let flip: Bool
                    switch mask {
                    case 0: flip = (x + y) % 2 == 0
                    case 1: flip = y % 2 == 0
                    case 2: flip = x % 3 == 0
                    case 3: flip = (x + y) % 3 == 0
                    case 4: flip = (x / 3 + y / 2) % 2 == 0
                    case 5: flip = x * y % 2 + x * y % 3 == 0
                    case 6: flip = (x * y % 2 + x * y % 3) % 2 == 0
                    default: flip = ((x + y) % 2 + x * y % 3) % 2 == 0
                    }
                    if flip { copy[x, y].toggle() }
                }
            }
            copy.drawFormat(correction.formatBits << 3 | mask)
            return copy
        }

        /// The four penalty rules of ISO/IEC 18004 §7.8.3; lower is easier for scanners.
        func penalty() -> Int {
            var score = 0
            for i in 0..<size {
                score += Self.linePenalty((0..<size).map { self[$0, i] })
                score += Self.linePenalty((0..<size).map { self[i, $0] })
            }
            // Rule 2: every 2×2 block of one colour (overlapping blocks all count).
            for y in 0..<(size - 1) {
                for x in 0..<(size - 1) {
                    let colour = self[x, y]
                    if self[x + 1, y] == colour, self[x, y + 1] == colour, self[x + 1, y + 1] == colour {
                        score += 3
                    }
                }
            }
            // Rule 4: 10 points for every full 5% the dark share deviates from 50%.
            let dark = modules.reduce(0) { $0 + ($1 ? 1 : 0) }
            let total = size * size
            score += (abs(dark * 20 - total * 10) + total - 1) / total * 10 - 10
            return score
        }

        /// Rules 1 and 3 for one row or column.
        private static func linePenalty(_ line: [Bool]) -> Int {
            var score = 0
            // Rule 1: a run of five or more modules of one colour costs 3, plus 1 per extra module.
            var runLength = 1
            for i in 1...line.count {
                if i < line.count && line[i] == line[i - 1] {
                    runLength += 1
                } else {
                    if runLength >= 5 { score += runLength - 2 }
                    runLength = 1
                }
            }
            // Rule 3: a finder look-alike, dark-light-dark-light-dark runs in the ratio 1:1:3:1:1 at
            // any scale n, with a light run of at least 4n on one side (each side counts once).
            // The quiet zone beyond the edges is light, as a scanner sees it, so it extends the end runs.
            var runs: [Int] = []            // alternating run lengths, light first and light last
            var dark = false
            var length = line.count
            for module in line {
                if module == dark { length += 1 } else { runs.append(length); dark = module; length = 1 }
            }
            if dark { runs.append(length); length = 0 }
            runs.append(length + line.count)
            for i in stride(from: 1, to: runs.count - 5, by: 2) {   // dark runs sit at odd indices
                let n = runs[i]
                guard runs[i + 1] == n, runs[i + 2] == 3 * n, runs[i + 3] == n, runs[i + 4] == n else { continue }
                if runs[i - 1] >= 4 * n && runs[i + 5] >= n { score += 40 }
                if runs[i + 5] >= 4 * n && runs[i - 1] >= n { score += 40 }
            }
            return score
        }
    }
}
