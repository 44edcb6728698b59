-- A job inserted or whose status changes is notified on lmaas_jobs (its id): the local job runner admits a new batch
-- or fine-tuning job, and hands a completed batch's worker its tenant's next batch, at once instead of at its next tick.
CREATE FUNCTION lmaas_notify_job_change() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('lmaas_jobs', NEW.id);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER jobs_notify_insert AFTER INSERT ON jobs
    FOR EACH ROW EXECUTE FUNCTION lmaas_notify_job_change();

CREATE TRIGGER jobs_notify_status AFTER UPDATE OF status ON jobs
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION lmaas_notify_job_change();
