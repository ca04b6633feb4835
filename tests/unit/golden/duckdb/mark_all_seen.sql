insert into "analytics_pendo_sync"."pendo_sync_state" (model_id, pendo_group, record_key, row_hash, synced_at, run_id, seq) select distinct 'model.shop.fct_events', 'event', cast("event_id" as varchar), cast(null as varchar), ?, 'run-1', 1796663707123456 from "analytics"."fct_events" where cast("event_id" as varchar) is not null;
-- params: [datetime.datetime(2026, 12, 7, 17, 15, 7, 123456)]
