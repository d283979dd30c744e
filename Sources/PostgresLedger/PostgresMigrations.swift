/// The queue's schema, versioned: each migration runs once per database, in order, recorded in
/// `claire_schema_migrations`, under an advisory lock so daemons starting together do not race. Never edit
/// a released migration; append a new one. Each is a list of single statements (the extended query protocol
/// takes one at a time).
enum PostgresMigrations {
    struct Migration {
        var version: Int
        var name: String
        var statements: [String]
    }

    /// Taken with `pg_advisory_xact_lock` while migrating.
    static let lockKey: Int64 = 0x636C_6169_7265  // "claire"

    static let all: [Migration] = [
        Migration(version: 1, name: "work queue, events, model hashes", statements: [
            """
            CREATE TABLE claire_work (
                pipeline text NOT NULL,
                source text NOT NULL,
                content_hash text NOT NULL,
                pipeline_hash text NOT NULL,
                model_hash text,
                status text NOT NULL CHECK (status IN ('pending', 'running', 'done', 'failed', 'dead')),
                attempts integer NOT NULL DEFAULT 0,
                claim_seq bigint NOT NULL DEFAULT 0,
                lease_owner text,
                lease_until timestamptz,
                next_retry_at timestamptz NOT NULL DEFAULT now(),
                last_error text,
                outputs text,
                seconds double precision,
                updated_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (pipeline, source))
            """,
            "CREATE INDEX claire_work_ready ON claire_work (pipeline, next_retry_at) WHERE status IN ('pending', 'failed', 'running')",
            """
            CREATE TABLE claire_event (
                id bigserial PRIMARY KEY,
                at timestamptz NOT NULL DEFAULT now(),
                pipeline text NOT NULL,
                source text NOT NULL,
                worker text,
                claim_seq bigint,
                outcome text NOT NULL,
                detail text,
                seconds double precision)
            """,
            "CREATE INDEX claire_event_at ON claire_event (at)",
            """
            CREATE TABLE claire_file_hash (
                path text PRIMARY KEY,
                size bigint NOT NULL,
                modified_ns bigint NOT NULL,
                sha256 text NOT NULL)
            """,
        ]),
    ]
}
