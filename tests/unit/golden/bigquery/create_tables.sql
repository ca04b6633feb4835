CREATE SCHEMA IF NOT EXISTS `analytics_pendo_sync`;

CREATE TABLE IF NOT EXISTS `analytics_pendo_sync`.`pendo_sync_state` (model_id STRING, pendo_group STRING, record_key STRING, row_hash STRING, synced_at DATETIME, run_id STRING);

CREATE TABLE IF NOT EXISTS `analytics_pendo_sync`.`pendo_sync_runs` (run_id STRING, command STRING, started_at DATETIME, finished_at DATETIME, status STRING, summary STRING);

CREATE TABLE IF NOT EXISTS `analytics_pendo_sync`.`pendo_sync_row_outcomes` (run_id STRING, model_id STRING, pendo_group STRING, record_key STRING, outcome STRING, reason STRING, recorded_at DATETIME);

CREATE TABLE IF NOT EXISTS `analytics_pendo_sync`.`pendo_sync_models` (model_id STRING, pendo_object STRING, first_synced_at DATETIME, run_id STRING);

CREATE TABLE IF NOT EXISTS `analytics_pendo_sync`.`pendo_sync_verify_differences` (run_id STRING, model_id STRING, recorded_at DATETIME, pendo_group STRING, record_key STRING, field STRING, outcome STRING, pendo_value STRING, model_value STRING);
