-- An adapter model pinned by an operator: workers of its base keep it loaded (never evicted least recently used).
ALTER TABLE models ADD COLUMN pinned boolean NOT NULL DEFAULT false;
