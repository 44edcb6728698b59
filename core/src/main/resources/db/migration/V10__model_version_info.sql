-- What a model version is, read from its files when it is registered: architecture, parameters, stored dtype,
-- maximum input length, memory its weights take when served (float32). Shown by the admin API and the console.
ALTER TABLE model_versions ADD COLUMN info jsonb;
