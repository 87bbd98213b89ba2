-- Least-privilege roles for LoginConsumer: one that owns the schema and runs migrations, one the consumer
-- runs as, and (optional) a read-only one for operators' `summary`. Run once per database, as a superuser (or the
-- database owner with CREATEROLE), with psql:
--
--   psql -d <database> -v migrator=loginconsumer_migrator -v runtime=loginconsumer_runtime \
--        -v migrator_verifier="$(printf '%s\n' "$MIGRATOR_PASSWORD" | LoginConsumer password-verifier)" \
--        -v runtime_verifier="$(printf '%s\n' "$RUNTIME_PASSWORD" | LoginConsumer password-verifier)" \
--        -v reader=loginconsumer_reader \
--        -v reader_verifier="$(printf '%s\n' "$READER_PASSWORD" | LoginConsumer password-verifier)" \
--        -f deploy/sql/roles.sql
--
-- The passwords never appear in SQL text (which log_statement=ddl would log): only their SCRAM-SHA-256 verifiers,
-- which PostgreSQL stores as they are. PUBLIC loses CREATE on the schema and TEMP on the database, so a role is
-- granted what it needs and nothing comes with every login.
--
-- Then `LoginConsumer migrate`, connected as the migrator (ConnectionStrings__LoginDbMigrations) with
-- Migrations__RuntimeRole=<runtime>, applies the migrations and grants the runtime role exactly
-- INSERT on user_logins and SELECT(message_id), which INSERT ... ON CONFLICT (message_id) needs.
-- The runtime role cannot read any other column, update, delete, or change the schema. With Migrations__ReadOnlyRole=<reader>,
-- migrate grants the reader SELECT on user_logins and nothing else: `summary` runs as it and cannot write.
\set ON_ERROR_STOP on

SELECT format('CREATE ROLE %I LOGIN', :'migrator') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'migrator') \gexec
SELECT format('CREATE ROLE %I LOGIN', :'runtime') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'runtime') \gexec
SELECT :'migrator_verifier' LIKE 'SCRAM-SHA-256$%' AND :'runtime_verifier' LIKE 'SCRAM-SHA-256$%' AS verifiers_given \gset
\if :verifiers_given
\else
  DO $$ BEGIN RAISE EXCEPTION 'migrator_verifier and runtime_verifier must be SCRAM-SHA-256 verifiers (LoginConsumer password-verifier), never passwords'; END $$;
\endif
ALTER ROLE :"migrator" PASSWORD :'migrator_verifier';
ALTER ROLE :"runtime" PASSWORD :'runtime_verifier';

SELECT format('REVOKE TEMPORARY ON DATABASE %I FROM PUBLIC', current_database()) \gexec
REVOKE CREATE ON SCHEMA public FROM PUBLIC;

SELECT format('GRANT CONNECT ON DATABASE %I TO %I, %I', current_database(), :'migrator', :'runtime') \gexec
GRANT USAGE, CREATE ON SCHEMA public TO :"migrator";
GRANT USAGE ON SCHEMA public TO :"runtime";

-- The read-only role, when -v reader=... is given.
\if :{?reader}
  SELECT :'reader_verifier' LIKE 'SCRAM-SHA-256$%' AS reader_verifier_given \gset
  \if :reader_verifier_given
  \else
    DO $$ BEGIN RAISE EXCEPTION 'reader_verifier must be a SCRAM-SHA-256 verifier (LoginConsumer password-verifier), never a password'; END $$;
  \endif
  SELECT format('CREATE ROLE %I LOGIN', :'reader') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'reader') \gexec
  ALTER ROLE :"reader" PASSWORD :'reader_verifier';
  -- Read-only by default too: a session that forgets itself still cannot write.
  ALTER ROLE :"reader" SET default_transaction_read_only = on;
  SELECT format('GRANT CONNECT ON DATABASE %I TO %I', current_database(), :'reader') \gexec
  GRANT USAGE ON SCHEMA public TO :"reader";
\endif

-- The analysts' table may predate these roles: the migrator must own it to add the key column.
SELECT format('ALTER TABLE public.%I OWNER TO %I', tablename, :'migrator')
FROM pg_tables WHERE schemaname = 'public' AND tablename IN ('user_logins', '__EFMigrationsHistory') \gexec
