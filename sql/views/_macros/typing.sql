-- Strict typing of landed text, shared by every dataset: a value is stored as sent or rejected with a
-- reason, never rounded, truncated or re-zoned. TRY_CAST alone is too lenient for that: it rounds
-- '1800.7' to 1801, reads '0x710' as 1808 and '1_900' as 1900, and drops a timestamp's UTC offset.

-- They cost little more than the cast itself: the common case (a value that prints back as it was sent)
-- is settled by the cast, and a regular expression looks only at the rest.

-- An integer written as an optional sign and digits, as BIGINT; NULL for anything else (a fraction, an
-- exponent, hex, digit separators, spaces) and when out of range.
CREATE OR REPLACE MACRO meta.exact_bigint(t) AS
    CASE WHEN CAST(TRY_CAST(t AS BIGINT) AS VARCHAR) = t THEN TRY_CAST(t AS BIGINT)
         WHEN regexp_full_match(t, '[+-]?[0-9]+') THEN TRY_CAST(t AS BIGINT) END;

-- The same for unsigned 64-bit integers (ids up to 2^64 - 1).
CREATE OR REPLACE MACRO meta.exact_ubigint(t) AS
    CASE WHEN CAST(TRY_CAST(t AS UBIGINT) AS VARCHAR) = t THEN TRY_CAST(t AS UBIGINT)
         WHEN regexp_full_match(t, '[+]?[0-9]+') THEN TRY_CAST(t AS UBIGINT) END;

-- A whole number that may be written with a zero fraction ('1158000' or '1158000.0'), as BIGINT; NULL
-- for a non-zero fraction, an exponent, hex or separators.
CREATE OR REPLACE MACRO meta.exact_whole(t) AS
    CASE WHEN NOT contains(t, '.') THEN meta.exact_bigint(t)
         WHEN regexp_full_match(t, '[+-]?[0-9]+\.0*') THEN meta.exact_bigint(split_part(t, '.', 1)) END;

-- A number written in decimal (sign, digits, fraction, exponent), as DOUBLE; NULL for digit separators,
-- whitespace around it, '+-' (which the cast reads as '-') and hex (which the cast refuses itself). 'nan'
-- and 'inf' pass as NaN and infinity: each dataset's rules say whether they are allowed (isfinite).
-- NULL too for a number beyond a double's range, which the cast makes infinity ('1e400') or 0 ('1e-400').
CREATE OR REPLACE MACRO meta.exact_double(t) AS
    CASE WHEN contains(t, '_') OR starts_with(t, '+-')
              OR ascii(t) <= 32 OR ascii(t[-1]) <= 32   -- whitespace at either end (trim() costs 5x)
         THEN NULL
         WHEN isinf(TRY_CAST(t AS DOUBLE))
              AND lower(ltrim(t, '+-')) NOT IN ('inf', 'infinity') THEN NULL
         WHEN TRY_CAST(t AS DOUBLE) = 0 AND regexp_matches(t, '^[+-]?[0.]*[1-9]') THEN NULL
         ELSE TRY_CAST(t AS DOUBLE) END;

-- A landed integer column of any type (text, or a number type of a Parquet file) as BIGINT or UBIGINT,
-- exactly: text must be sign and digits, a number must have no fraction. NULL otherwise.
CREATE OR REPLACE MACRO meta.integer_of(x) AS
    CASE WHEN typeof(x) IN ('BIGINT', 'INTEGER', 'SMALLINT', 'TINYINT', 'UINTEGER', 'USMALLINT', 'UTINYINT')
         THEN TRY_CAST(x AS BIGINT)
         WHEN typeof(x) = 'VARCHAR' THEN meta.exact_bigint(CAST(x AS VARCHAR))
         WHEN TRY_CAST(x AS DOUBLE) = TRY_CAST(TRY_CAST(x AS BIGINT) AS DOUBLE) THEN TRY_CAST(x AS BIGINT) END;
CREATE OR REPLACE MACRO meta.uinteger_of(x) AS
    CASE WHEN typeof(x) IN ('UBIGINT', 'UINTEGER', 'USMALLINT', 'UTINYINT', 'BIGINT', 'INTEGER', 'SMALLINT', 'TINYINT')
         THEN TRY_CAST(x AS UBIGINT)
         WHEN typeof(x) = 'VARCHAR' THEN meta.exact_ubigint(CAST(x AS VARCHAR))
         WHEN TRY_CAST(x AS DOUBLE) = TRY_CAST(TRY_CAST(x AS UBIGINT) AS DOUBLE) THEN TRY_CAST(x AS UBIGINT) END;

-- Does a timestamp text end with a UTC offset or Z? ('+' or '-' after the date part can only be one.)
-- Whether the offset is a real one (at most 14 hours, minutes below 60) utc_timestamp checks.
CREATE OR REPLACE MACRO meta.has_utc_offset(t) AS
    suffix(t, 'Z') OR suffix(t, 'z') OR contains(substr(t, 11), '+') OR contains(substr(t, 11), '-');

-- A landed timestamp text as UTC: with a Z or offset (+05:00, -0800) it is converted to UTC, without one
-- it is taken as written (already UTC). NULL when it is not a timestamp, and when it does not end in a
-- digit (a zone name such as 'EST', which TRY_CAST would drop).
-- A digit other than 0 after the sixth of a second would be cut: NULL too (only a text with a '.' needs
-- the look: the cast takes one-digit fields, so length alone does not tell). So is a text that starts
-- with a blank (one that ends with one is, as it does not end in a digit).
CREATE OR REPLACE MACRO meta.utc_timestamp(t) AS
    CASE WHEN ascii(t) <= 32 THEN NULL
         WHEN contains(t, '.') AND regexp_matches(t, '\.[0-9]{6}[0-9]*[1-9]') THEN NULL
         WHEN meta.has_utc_offset(t) THEN
             CASE WHEN regexp_matches(t, '([+-](0[0-9]|1[0-4])(:?[0-5][0-9])?|[zZ])$')
                  THEN TRY_CAST(TRY_CAST(regexp_replace(t, 'z$', 'Z') AS TIMESTAMPTZ) AS TIMESTAMP) END
         WHEN NOT (t[-1] BETWEEN '0' AND '9') THEN NULL
         ELSE TRY_CAST(t AS TIMESTAMP) END;

-- A landed time column of any type (a Parquet TIMESTAMP or TIMESTAMPTZ of any unit, DATE, or text) as
-- TIMESTAMP, exactly: text as meta.utc_timestamp reads it (so 'epoch', a zone name or a dropped offset
-- is not taken), nanoseconds only when they are whole microseconds. NULL otherwise. (A Parquet INT96
-- time, a deprecated type, reaches SQL already cut to microseconds by DuckDB's reader.)
-- (typeof is constant for a column: DuckDB keeps only the branch for the column's type.)
CREATE OR REPLACE MACRO meta.timestamp_of(x) AS
    CASE WHEN typeof(x) = 'TIMESTAMP' THEN TRY_CAST(x AS TIMESTAMP)
         WHEN typeof(x) = 'VARCHAR' THEN meta.utc_timestamp(CAST(x AS VARCHAR))
         WHEN typeof(x) IN ('TIMESTAMP_NS', 'TIMESTAMPTZ_NS') THEN
             CASE WHEN epoch_ns(TRY_CAST(x AS TIMESTAMP_NS)) % 1000 = 0
                  THEN TRY_CAST(TRY_CAST(x AS TIMESTAMP_NS) AS TIMESTAMP) END
         ELSE TRY_CAST(x AS TIMESTAMP) END;

-- Why meta.timestamp_of(x) is NULL for a value that is not NULL: a time finer than a microsecond (which
-- a TIMESTAMP cannot hold without cutting it), or no timestamp at all. For reject reasons.
CREATE OR REPLACE MACRO meta.timestamp_problem(x) AS
    CASE WHEN typeof(x) IN ('TIMESTAMP_NS', 'TIMESTAMPTZ_NS')
              OR (typeof(x) = 'VARCHAR' AND regexp_matches(CAST(x AS VARCHAR), '\.[0-9]{6}[0-9]*[1-9]'))
         THEN 'is finer than a microsecond' ELSE 'is not a timestamp' END;

-- A landed date text as DATE: only YYYY-MM-DD of a day that exists, the month and day maybe without
-- their leading zero (2020-1-5 is that day, nothing else; reasons name the usual form). The cast alone also
-- takes 'epoch' (1970-01-01), 'infinity', a five-digit year, and a time of day or an offset, which it drops.
CREATE OR REPLACE MACRO meta.exact_date(t) AS
    CASE WHEN regexp_full_match(t, '[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}') THEN TRY_CAST(t AS DATE) END;

-- A landed number column of any type as DOUBLE: text as meta.exact_double reads it ('1_000' and '+-5'
-- are not numbers), a boolean not at all, any number as the nearest double (as for a decimal text: a
-- DOUBLE column holds 0.1 and 2^53 + 1 as their nearest doubles).
CREATE OR REPLACE MACRO meta.double_of(x) AS
    CASE WHEN typeof(x) = 'DOUBLE' THEN TRY_CAST(x AS DOUBLE)
         WHEN typeof(x) = 'VARCHAR' THEN meta.exact_double(CAST(x AS VARCHAR))
         WHEN typeof(x) = 'BOOLEAN' THEN NULL
         ELSE TRY_CAST(x AS DOUBLE) END;

-- The years a landed timestamp or date may have: one outside them (99999, -0001, a clock at year 0) is
-- a mistake in the data, rejected with its reason rather than stored; so is 'infinity' (whose year is
-- NULL). Compared as instants (a DATE as its midnight; text is refused, not compared as text), not through
-- year(): two integer comparisons. Change the range here.
CREATE OR REPLACE MACRO meta.plausible_year(ts) AS ts >= TIMESTAMP '1900-01-01' AND ts < TIMESTAMP '2200-01-01';
CREATE OR REPLACE MACRO meta.plausible_years() AS '1900-2199';

-- Epoch milliseconds (a whole number, JSON number or text) as TIMESTAMP; NULL when not a whole number
-- or outside the plausible years (so a value in seconds or microseconds is not read as a wrong date).
-- meta.epoch_ms_of takes a BIGINT already read as one (a line the reader typed).
CREATE OR REPLACE MACRO meta.epoch_ms_of(ms) AS
    CASE WHEN ms BETWEEN -2208988800000 AND 7258118399999   -- 1900-01-01 .. 2199-12-31
         THEN epoch_ms(ms) END;
CREATE OR REPLACE MACRO meta.epoch_ms_timestamp(t) AS meta.epoch_ms_of(meta.exact_whole(t));
