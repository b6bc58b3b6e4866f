import Leaf
import LeafKit

/// A page's model as the values Leaf renders, with the meaning Leaf's own encoder gives them: a
/// value that is `LeafDataRepresentable` (a string, a number, a date, an array of them) stands
/// for itself, anything else is encoded field by field, and a nil optional is left out. It does
/// the same work with less around it: no coding path built for every nested value, no dynamic
/// container kept per level to be resolved afterwards, and strings, numbers and flags written
/// straight into their dictionary. Every page is encoded once per view, so this is paid by every
/// request that renders a page (a fifth of Leaf's share of 我的积分 went to Leaf's encoder).
enum PageValues {
    struct NotADictionary: Error, CustomStringConvertible {
        var description: String { "a page's context must encode as a dictionary (a struct), not an array or a single value" }
    }

    static func encode(_ value: some Encodable) throws -> [String: LeafData] {
        let encoder = ValueEncoder()
        try value.encode(to: encoder)
        guard let data = encoder.data else { return [:] }
        guard let dictionary = data.dictionary else { throw NotADictionary() }
        return dictionary
    }

    /// One value: itself when Leaf knows it, else through an encoder of its own.
    static func data<T: Encodable>(_ value: T) throws -> LeafData? {
        if let known = value as? any LeafDataRepresentable { return known.leafData }
        let encoder = ValueEncoder()
        try value.encode(to: encoder)
        return encoder.data
    }
}

/// What one level encoded: nothing yet, one value, or a keyed or unkeyed container.
private final class ValueEncoder: Encoder, SingleValueEncodingContainer {
    enum Slot { case empty, value(LeafData), keyed(KeyedValues), unkeyed(UnkeyedValues) }
    var slot = Slot.empty

    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    var data: LeafData? {
        switch slot {
        case .empty: nil
        case .value(let value): value
        case .keyed(let values): values.data
        case .unkeyed(let values): values.data
        }
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        if case .keyed(let values) = slot { return KeyedEncodingContainer(KeyedWriter<Key>(values: values)) }
        let values = KeyedValues()
        slot = .keyed(values)
        return KeyedEncodingContainer(KeyedWriter<Key>(values: values))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        if case .unkeyed(let values) = slot { return UnkeyedWriter(values: values) }
        let values = UnkeyedValues()
        slot = .unkeyed(values)
        return UnkeyedWriter(values: values)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { self }

    func encodeNil() throws {}
    func encode(_ value: Bool) throws { slot = .value(.bool(value)) }
    func encode(_ value: String) throws { slot = .value(.string(value)) }
    func encode(_ value: Double) throws { slot = .value(.double(value)) }
    func encode(_ value: Int) throws { slot = .value(.int(value)) }
    func encode(_ value: Float) throws { slot = .value(value.leafData) }
    func encode(_ value: Int8) throws { slot = .value(value.leafData) }
    func encode(_ value: Int16) throws { slot = .value(value.leafData) }
    func encode(_ value: Int32) throws { slot = .value(value.leafData) }
    func encode(_ value: Int64) throws { slot = .value(value.leafData) }
    func encode(_ value: UInt) throws { slot = .value(value.leafData) }
    func encode(_ value: UInt8) throws { slot = .value(value.leafData) }
    func encode(_ value: UInt16) throws { slot = .value(value.leafData) }
    func encode(_ value: UInt32) throws { slot = .value(value.leafData) }
    func encode(_ value: UInt64) throws { slot = .value(value.leafData) }
    func encode<T: Encodable>(_ value: T) throws {
        if let data = try PageValues.data(value) { slot = .value(data) }
    }
}

/// A keyed container's values, and the encoders of nested containers, read when it is done.
private final class KeyedValues {
    var values: [String: LeafData] = [:]
    var nested: [(String, ValueEncoder)] = []

    var data: LeafData {
        guard !nested.isEmpty else { return .dictionary(values) }
        var all = values
        for (key, encoder) in nested { all[key] = encoder.data }
        return .dictionary(all)
    }
}

private final class UnkeyedValues {
    var values: [LeafData] = []
    /// Nested containers, by the index their value takes.
    var nested: [(Int, ValueEncoder)] = []

    var data: LeafData {
        guard !nested.isEmpty else { return .array(values) }
        var all: [LeafData] = []
        all.reserveCapacity(values.count)
        var pending = nested[...]
        for (index, value) in values.enumerated() {
            if let (at, encoder) = pending.first, at == index {
                pending = pending.dropFirst()
                if let data = encoder.data { all.append(data) }
            } else {
                all.append(value)
            }
        }
        return .array(all)
    }
}

private struct KeyedWriter<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let values: KeyedValues
    var codingPath: [any CodingKey] { [] }

    mutating func encodeNil(forKey key: Key) throws {}
    mutating func encode(_ value: Bool, forKey key: Key) throws { values.values[key.stringValue] = .bool(value) }
    mutating func encode(_ value: String, forKey key: Key) throws { values.values[key.stringValue] = .string(value) }
    mutating func encode(_ value: Double, forKey key: Key) throws { values.values[key.stringValue] = .double(value) }
    mutating func encode(_ value: Int, forKey key: Key) throws { values.values[key.stringValue] = .int(value) }
    mutating func encode(_ value: Float, forKey key: Key) throws { values.values[key.stringValue] = value.leafData }
    mutating func encode(_ value: Int8, forKey key: Key) throws { values.values[key.stringValue] = value.leafData }
    mutating func encode(_ value: Int16, forKey key: Key) throws { values.values[key.stringValue] = value.leafData }
    mutating func encode(_ value: Int32, forKey key: Key) throws { values.values[key.stringValue] = value.leafData }
    mutating func encode(_ value: Int64, forKey key: Key) throws { values.values[key.stringValue] = value.leafData }
    mutating func encode(_ value: UInt, forKey key: Key) throws { values.values[key.stringValue] = value.leafData }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { values.values[key.stringValue] = value.leafData }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { values.values[key.stringValue] = value.leafData }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { values.values[key.stringValue] = value.leafData }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { values.values[key.stringValue] = value.leafData }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        if let data = try PageValues.data(value) { values.values[key.stringValue] = data }
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        let encoder = ValueEncoder()
        values.nested.append((key.stringValue, encoder))
        return encoder.container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let encoder = ValueEncoder()
        values.nested.append((key.stringValue, encoder))
        return encoder.unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder {
        let encoder = ValueEncoder()
        values.nested.append(("super", encoder))
        return encoder
    }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        let encoder = ValueEncoder()
        values.nested.append((key.stringValue, encoder))
        return encoder
    }
}

private struct UnkeyedWriter: UnkeyedEncodingContainer {
    let values: UnkeyedValues
    var codingPath: [any CodingKey] { [] }
    var count: Int { values.values.count }

    mutating func encodeNil() throws {}
    mutating func encode(_ value: Bool) throws { values.values.append(.bool(value)) }
    mutating func encode(_ value: String) throws { values.values.append(.string(value)) }
    mutating func encode(_ value: Double) throws { values.values.append(.double(value)) }
    mutating func encode(_ value: Int) throws { values.values.append(.int(value)) }
    mutating func encode(_ value: Float) throws { values.values.append(value.leafData) }
    mutating func encode(_ value: Int8) throws { values.values.append(value.leafData) }
    mutating func encode(_ value: Int16) throws { values.values.append(value.leafData) }
    mutating func encode(_ value: Int32) throws { values.values.append(value.leafData) }
    mutating func encode(_ value: Int64) throws { values.values.append(value.leafData) }
    mutating func encode(_ value: UInt) throws { values.values.append(value.leafData) }
    mutating func encode(_ value: UInt8) throws { values.values.append(value.leafData) }
    mutating func encode(_ value: UInt16) throws { values.values.append(value.leafData) }
    mutating func encode(_ value: UInt32) throws { values.values.append(value.leafData) }
    mutating func encode(_ value: UInt64) throws { values.values.append(value.leafData) }
    mutating func encode<T: Encodable>(_ value: T) throws {
        if let data = try PageValues.data(value) { values.values.append(data) }
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        let encoder = ValueEncoder()
        values.nested.append((values.values.count, encoder))
        values.values.append(.trueNil)
        return encoder.container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let encoder = ValueEncoder()
        values.nested.append((values.values.count, encoder))
        values.values.append(.trueNil)
        return encoder.unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder {
        let encoder = ValueEncoder()
        values.nested.append((values.values.count, encoder))
        values.values.append(.trueNil)
        return encoder
    }
}
