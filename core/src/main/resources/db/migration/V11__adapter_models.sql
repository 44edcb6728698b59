-- A model whose versions are LoRA adapters (PEFT layout) of another model, its base: served by the base's replicas
-- with the adapter applied per request, without a deployment of its own.
ALTER TABLE models ADD COLUMN base_model_id text REFERENCES models (id);
CREATE INDEX models_base_model_id ON models (base_model_id) WHERE base_model_id IS NOT NULL;
