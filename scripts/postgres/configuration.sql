-- The postgres profile's configuration store (components/postgres/configstore.yaml): the table
-- the component reads, and the trigger that announces every change on the channel it listens
-- to. Safe to run again. devstack runs it once the server answers, before any sidecar starts:
-- daprd refuses the component while the table is missing.
--
-- The component scans `SELECT *` as key, value, version, metadata (in that order) and fails
-- on a NULL value, version or metadata, hence NOT NULL and the defaults.
CREATE TABLE IF NOT EXISTS configuration (
    key text PRIMARY KEY,
    value text NOT NULL,
    version text NOT NULL DEFAULT '1',
    metadata json NOT NULL DEFAULT '{}'
);

-- The notification carries the row under "data". A deleted key is announced with an empty
-- value, which readers take as "absent", as the Redis store announces a deleted key.
CREATE OR REPLACE FUNCTION configuration_notify() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM pg_notify('configuration_changed', json_build_object(
            'action', TG_OP,
            'data', json_build_object('key', OLD.key, 'value', '', 'version', OLD.version,
                                      'metadata', OLD.metadata))::text);
        RETURN OLD;
    END IF;
    PERFORM pg_notify('configuration_changed',
                      json_build_object('action', TG_OP, 'data', row_to_json(NEW))::text);
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE TRIGGER configuration_changed
    AFTER INSERT OR UPDATE OR DELETE ON configuration
    FOR EACH ROW EXECUTE FUNCTION configuration_notify();
