INSERT INTO "analytics_pendo_sync"."pendo_sync_state" (model_id, pendo_group, record_key, row_hash, synced_at, run_id, seq) SELECT DISTINCT 'model.shop.fct_events', 'event', CAST("event_id" AS VARCHAR), CAST(NULL AS VARCHAR), ?, 'run-1', 1796663707123456 FROM "analytics"."fct_events" WHERE NOT CAST("event_id" AS VARCHAR) IS NULL;
-- params: [datetime.datetime(2026, 12, 7, 17, 15, 7, 123456)]
