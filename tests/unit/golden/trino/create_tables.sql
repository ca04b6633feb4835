CREATE SCHEMA IF NOT EXISTS "analytics_pendo_sync";

CREATE TABLE IF NOT EXISTS "analytics_pendo_sync"."pendo_sync_state" (model_id VARCHAR, pendo_group VARCHAR, record_key VARCHAR, row_hash VARCHAR, synced_at TIMESTAMP, run_id VARCHAR);

CREATE TABLE IF NOT EXISTS "analytics_pendo_sync"."pendo_sync_runs" (run_id VARCHAR, command VARCHAR, started_at TIMESTAMP, finished_at TIMESTAMP, status VARCHAR, summary VARCHAR);

CREATE TABLE IF NOT EXISTS "analytics_pendo_sync"."pendo_sync_row_outcomes" (run_id VARCHAR, model_id VARCHAR, pendo_group VARCHAR, record_key VARCHAR, outcome VARCHAR, reason VARCHAR, recorded_at TIMESTAMP);

CREATE TABLE IF NOT EXISTS "analytics_pendo_sync"."pendo_sync_models" (model_id VARCHAR, pendo_object VARCHAR, first_synced_at TIMESTAMP, run_id VARCHAR);

CREATE TABLE IF NOT EXISTS "analytics_pendo_sync"."pendo_sync_verify_differences" (run_id VARCHAR, model_id VARCHAR, recorded_at TIMESTAMP, pendo_group VARCHAR, record_key VARCHAR, field VARCHAR, outcome VARCHAR, pendo_value VARCHAR, model_value VARCHAR);
