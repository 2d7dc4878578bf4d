//! The one table that maps Postgres types to Arrow types (connector-x style).
//!
//! Nothing else in the crate knows a type OID or a binary wire format: `discover` asks
//! [`PgType::from_oid`] what a server column is, and `copy_binary` hands each field's bytes
//! to a [`decode::ColumnDecoder`] built from (spec type, server type).

mod array;
mod column;
pub(super) mod decode;
pub(super) mod numeric;

use std::sync::Arc;

use arrow_schema::{DataType, Field, TimeUnit};

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

/// Arrow's time zone tag for every timestamp: Tableau stores naive UTC (reference §3
/// "Time zones"), and timestamptz travels as UTC microseconds in binary COPY.
pub const UTC: &str = "UTC";

impl PgType {
    /// The Arrow type a column of this *spec* type has in every batch, whatever the
    /// server stores, so the lake schema never changes with the server version.
    pub fn arrow_type(self) -> DataType {
        match self {
            PgType::Int2 => DataType::Int16,
            PgType::Int4 => DataType::Int32,
            PgType::Int8 => DataType::Int64,
            PgType::Float4 => DataType::Float32,
            PgType::Float8 => DataType::Float64,
            PgType::Bool => DataType::Boolean,
            PgType::Timestamp | PgType::TimestampTz => {
                DataType::Timestamp(TimeUnit::Microsecond, Some(Arc::from(UTC)))
            }
            PgType::Date => DataType::Date32,
            // Numeric becomes its exact decimal text: lossless for any precision/scale
            // (Arrow decimals cap at 38/76 digits and need one fixed scale per column,
            // numeric has neither) and every BI tool can cast text to a number.
            PgType::Text | PgType::Uuid | PgType::Numeric | PgType::Json | PgType::Jsonb => {
                DataType::Utf8
            }
            PgType::TextArray => list_of(DataType::Utf8),
            PgType::Int4Array => list_of(DataType::Int32),
            PgType::Int8Array => list_of(DataType::Int64),
        }
    }

    /// The output field for a column: always nullable, since the data dictionary
    /// documents no NOT NULL constraints.
    pub fn arrow_field(self, name: &str) -> Field {
        Field::new(name, self.arrow_type(), true)
    }

    /// The server type of a column, from `pg_type.oid` (domains resolved to their base
    /// type by `sql/extract/discover_columns.sql`). None: not in the table.
    pub fn from_oid(oid: u32) -> Option<PgType> {
        Some(match oid {
            oid::BOOL => PgType::Bool,
            oid::INT2 => PgType::Int2,
            oid::INT4 => PgType::Int4,
            oid::INT8 => PgType::Int8,
            oid::FLOAT4 => PgType::Float4,
            oid::FLOAT8 => PgType::Float8,
            oid::TEXT | oid::VARCHAR | oid::BPCHAR | oid::NAME => PgType::Text,
            oid::TIMESTAMP => PgType::Timestamp,
            oid::TIMESTAMPTZ => PgType::TimestampTz,
            oid::DATE => PgType::Date,
            oid::UUID => PgType::Uuid,
            oid::NUMERIC => PgType::Numeric,
            oid::JSON => PgType::Json,
            oid::JSONB => PgType::Jsonb,
            oid::TEXT_ARRAY | oid::VARCHAR_ARRAY | oid::BPCHAR_ARRAY | oid::NAME_ARRAY => {
                PgType::TextArray
            }
            oid::INT4_ARRAY => PgType::Int4Array,
            oid::INT8_ARRAY => PgType::Int8Array,
            _ => return None,
        })
    }

    /// Can a server column of type `actual` be read losslessly as spec type `self`?
    pub fn accepts(self, actual: PgType) -> bool {
        use PgType::*;
        self == actual
            || matches!(
                (self, actual),
                // Tableau widened http_requests.id / historical_events.id int4 → int8 in
                // 2022.2 (reference §6b.5): one spec reads both server versions.
                (Int8, Int2 | Int4)
                    | (Int4, Int2)
                    // Same microseconds on the wire; naive values are UTC by convention.
                    | (Timestamp, TimestampTz)
                    | (TimestampTz, Timestamp)
                    | (Json, Jsonb)
                    | (Jsonb, Json)
            )
    }

    /// The SQL name used in messages.
    pub fn sql_name(self) -> &'static str {
        match self {
            PgType::Int2 => "smallint",
            PgType::Int4 => "integer",
            PgType::Int8 => "bigint",
            PgType::Float4 => "real",
            PgType::Float8 => "double precision",
            PgType::Bool => "boolean",
            PgType::Text => "text",
            PgType::Timestamp => "timestamp without time zone",
            PgType::TimestampTz => "timestamp with time zone",
            PgType::Date => "date",
            PgType::Uuid => "uuid",
            PgType::Numeric => "numeric",
            PgType::Json => "json",
            PgType::Jsonb => "jsonb",
            PgType::TextArray => "text[]",
            PgType::Int4Array => "integer[]",
            PgType::Int8Array => "bigint[]",
        }
    }

    /// True when range predicates must compare this column to a `timestamptz` literal
    /// instead of a naive `timestamp` one (see `session::range_predicate`).
    pub fn is_zoned(self) -> bool {
        self == PgType::TimestampTz
    }
}

fn list_of(item: DataType) -> DataType {
    DataType::List(Arc::new(Field::new_list_field(item, true)))
}

/// Built-in type OIDs (`pg_type.dat`; fixed across PostgreSQL versions).
pub(super) mod oid {
    pub const BOOL: u32 = 16;
    pub const NAME: u32 = 19;
    pub const INT8: u32 = 20;
    pub const INT2: u32 = 21;
    pub const INT4: u32 = 23;
    pub const TEXT: u32 = 25;
    pub const JSON: u32 = 114;
    pub const FLOAT4: u32 = 700;
    pub const FLOAT8: u32 = 701;
    pub const NAME_ARRAY: u32 = 1003;
    pub const INT4_ARRAY: u32 = 1007;
    pub const TEXT_ARRAY: u32 = 1009;
    pub const BPCHAR_ARRAY: u32 = 1014;
    pub const VARCHAR_ARRAY: u32 = 1015;
    pub const INT8_ARRAY: u32 = 1016;
    pub const BPCHAR: u32 = 1042;
    pub const VARCHAR: u32 = 1043;
    pub const DATE: u32 = 1082;
    pub const TIMESTAMP: u32 = 1114;
    pub const TIMESTAMPTZ: u32 = 1184;
    pub const NUMERIC: u32 = 1700;
    pub const UUID: u32 = 2950;
    pub const JSONB: u32 = 3802;
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [PgType; 17] = [
        PgType::Int2,
        PgType::Int4,
        PgType::Int8,
        PgType::Float4,
        PgType::Float8,
        PgType::Bool,
        PgType::Text,
        PgType::Timestamp,
        PgType::TimestampTz,
        PgType::Date,
        PgType::Uuid,
        PgType::Numeric,
        PgType::Json,
        PgType::Jsonb,
        PgType::TextArray,
        PgType::Int4Array,
        PgType::Int8Array,
    ];

    #[test]
    fn text_like_oids_are_one_type() {
        for o in [oid::TEXT, oid::VARCHAR, oid::BPCHAR, oid::NAME] {
            assert_eq!(PgType::from_oid(o), Some(PgType::Text));
        }
        for o in [
            oid::TEXT_ARRAY,
            oid::VARCHAR_ARRAY,
            oid::BPCHAR_ARRAY,
            oid::NAME_ARRAY,
        ] {
            assert_eq!(PgType::from_oid(o), Some(PgType::TextArray));
        }
    }

    #[test]
    fn unknown_oids_are_unsupported() {
        // bytea, inet, int2[], interval
        for o in [17, 869, 1005, 1186] {
            assert_eq!(PgType::from_oid(o), None, "oid {o}");
        }
    }

    #[test]
    fn every_type_maps_to_its_arrow_type() {
        let ts = DataType::Timestamp(TimeUnit::Microsecond, Some(Arc::from("UTC")));
        let expected = [
            DataType::Int16,
            DataType::Int32,
            DataType::Int64,
            DataType::Float32,
            DataType::Float64,
            DataType::Boolean,
            DataType::Utf8,
            ts.clone(),
            ts,
            DataType::Date32,
            DataType::Utf8,
            DataType::Utf8,
            DataType::Utf8,
            DataType::Utf8,
            list_of(DataType::Utf8),
            list_of(DataType::Int32),
            list_of(DataType::Int64),
        ];
        for (t, e) in ALL.iter().zip(expected) {
            assert_eq!(t.arrow_type(), e, "{t:?}");
        }
    }

    #[test]
    fn compatibility_is_lossless_widening_only() {
        assert!(PgType::Int8.accepts(PgType::Int4));
        assert!(PgType::Int8.accepts(PgType::Int2));
        assert!(PgType::Int4.accepts(PgType::Int2));
        assert!(!PgType::Int4.accepts(PgType::Int8), "narrowing loses data");
        assert!(!PgType::Int2.accepts(PgType::Int4));
        assert!(PgType::Timestamp.accepts(PgType::TimestampTz));
        assert!(PgType::Jsonb.accepts(PgType::Json));
        assert!(!PgType::Text.accepts(PgType::Int4));
        assert!(!PgType::Float8.accepts(PgType::Numeric));
        assert!(!PgType::Int8Array.accepts(PgType::Int4Array));
        for t in ALL {
            assert!(t.accepts(t));
        }
    }
}
