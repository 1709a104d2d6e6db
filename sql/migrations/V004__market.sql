-- Stock prices: the public "stock market dataset" layout (etfs/*.csv, stocks/*.csv, symbols_valid_meta.csv).
CREATE SCHEMA market;

-- The symbol directory, as the latest symbols_valid_meta.csv states it (replaced whole when it changes).
CREATE TABLE market.symbols (
    Symbol            VARCHAR NOT NULL,
    "Security Name"   VARCHAR,
    is_etf            BOOLEAN,
    "Listing Exchange" VARCHAR,
    source_file_id    BIGINT  NOT NULL
);

-- One row per symbol and trading day. Uniqueness of (Symbol, Date) is enforced by the load, which
-- rejects a conflicting second row for a day instead of overwriting the first.
CREATE TABLE market.prices (
    Symbol            VARCHAR NOT NULL,
    "Security Name"   VARCHAR,            -- NULL when the symbol has no row in symbols_valid_meta.csv
    Date              DATE    NOT NULL,
    Open              DOUBLE  NOT NULL,
    High              DOUBLE  NOT NULL,
    Low               DOUBLE  NOT NULL,
    Close             DOUBLE  NOT NULL,
    "Adj Close"       DOUBLE  NOT NULL,
    Volume            BIGINT  NOT NULL,
    is_etf            BOOLEAN NOT NULL,   -- from the folder the file came from (etfs/ or stocks/)
    source_file_id    BIGINT  NOT NULL
);

-- market.prices plus rolling features over the 30 most recent trading days of the symbol (current day
-- included); NULL until the symbol has 30 trading days. Recomputed for the symbols a load touches.
CREATE TABLE market.features (
    Symbol                VARCHAR NOT NULL,
    "Security Name"       VARCHAR,
    Date                  DATE    NOT NULL,
    Open                  DOUBLE  NOT NULL,
    High                  DOUBLE  NOT NULL,
    Low                   DOUBLE  NOT NULL,
    Close                 DOUBLE  NOT NULL,
    "Adj Close"           DOUBLE  NOT NULL,
    Volume                BIGINT  NOT NULL,
    is_etf                BOOLEAN NOT NULL,
    vol_moving_avg        DOUBLE,
    adj_close_rolling_med DOUBLE
);

CREATE TABLE market.prices_rejected (
    source_file_id  BIGINT    NOT NULL,
    source_file     VARCHAR   NOT NULL,
    line_number     BIGINT    NOT NULL,
    raw             VARCHAR,
    reason          VARCHAR   NOT NULL,
    rejected_at     TIMESTAMP NOT NULL
);
