//! The one table that maps Postgres types to Arrow types.

/// Postgres types the extractor understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PgType {
    Int2,
    Int4,
    Int8,
    Float4,
    Float8,
    Bool,
    /// text, varchar, bpchar, name
    Text,
    /// timestamp without time zone: Tableau stores naive UTC.
    Timestamp,
    TimestampTz,
    Date,
    Uuid,
    Numeric,
    Json,
    Jsonb,
    TextArray,
    Int4Array,
    Int8Array,
}
