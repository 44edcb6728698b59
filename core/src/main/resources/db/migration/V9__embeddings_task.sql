-- Embedding models: the Hugging Face task name 'feature-extraction' (served by /v1/embeddings).
ALTER TABLE models DROP CONSTRAINT models_task_check;
ALTER TABLE models ADD CONSTRAINT models_task_check
    CHECK (task IN ('text-classification', 'text-generation', 'feature-extraction'));
