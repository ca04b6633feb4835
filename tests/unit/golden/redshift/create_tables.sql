CREATE SCHEMA IF NOT EXISTS "analytics_pendo_sync";

CREATE TABLE IF NOT EXISTS "analytics_pendo_sync"."pendo_sync_state" (model_id VARCHAR(MAX), pendo_group VARCHAR(MAX), record_key VARCHAR(MAX), row_hash VARCHAR(MAX), synced_at TIMESTAMP, run_id VARCHAR(MAX));

CREATE TABLE IF NOT EXISTS "analytics_pendo_sync"."pendo_sync_runs" (run_id VARCHAR(MAX), command VARCHAR(MAX), started_at TIMESTAMP, finished_at TIMESTAMP, status VARCHAR(MAX), summary VARCHAR(MAX));

CREATE TABLE IF NOT EXISTS "analytics_pendo_sync"."pendo_sync_row_outcomes" (run_id VARCHAR(MAX), model_id VARCHAR(MAX), pendo_group VARCHAR(MAX), record_key VARCHAR(MAX), outcome VARCHAR(MAX), reason VARCHAR(MAX), recorded_at TIMESTAMP);

CREATE TABLE IF NOT EXISTS "analytics_pendo_sync"."pendo_sync_models" (model_id VARCHAR(MAX), pendo_object VARCHAR(MAX), first_synced_at TIMESTAMP, run_id VARCHAR(MAX));

CREATE TABLE IF NOT EXISTS "analytics_pendo_sync"."pendo_sync_verify_differences" (run_id VARCHAR(MAX), model_id VARCHAR(MAX), recorded_at TIMESTAMP, pendo_group VARCHAR(MAX), record_key VARCHAR(MAX), field VARCHAR(MAX), outcome VARCHAR(MAX), pendo_value VARCHAR(MAX), model_value VARCHAR(MAX));
