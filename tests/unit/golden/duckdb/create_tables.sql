create schema if not exists "analytics_pendo_sync";

create table if not exists "analytics_pendo_sync"."pendo_sync_state" (model_id varchar, pendo_group varchar, record_key varchar, row_hash varchar, synced_at timestamp, run_id varchar);

create table if not exists "analytics_pendo_sync"."pendo_sync_runs" (run_id varchar, command varchar, started_at timestamp, finished_at timestamp, status varchar, summary varchar);

create table if not exists "analytics_pendo_sync"."pendo_sync_row_outcomes" (run_id varchar, model_id varchar, pendo_group varchar, record_key varchar, outcome varchar, reason varchar, recorded_at timestamp);

create table if not exists "analytics_pendo_sync"."pendo_sync_models" (model_id varchar, pendo_object varchar, first_synced_at timestamp, run_id varchar);

create table if not exists "analytics_pendo_sync"."pendo_sync_verify_differences" (run_id varchar, model_id varchar, recorded_at timestamp, pendo_group varchar, record_key varchar, field varchar, outcome varchar, pendo_value varchar, model_value varchar);
