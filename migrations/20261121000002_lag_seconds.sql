-- Lag in seconds per sample (milliseconds; NULL when unknown), so history charts can show
-- time lag as it was computed at the time, including lower bounds.
ALTER TABLE lag_samples ADD COLUMN lag_ms INTEGER;
ALTER TABLE lag_samples ADD COLUMN lag_ms_lower_bound INTEGER;
