insert into "analytics_pendo_sync"."pendo_sync_state" (model_id, pendo_group, synced_at, run_id, record_key, row_hash) select ?, ?, ?, ?, unnest(string_split(?, chr(31))), unnest(string_split(?, chr(31)));
-- params: ['model.shop.dim_users', 'custom', datetime.datetime(2026, 12, 7, 17, 15, 7, 123456), 'run-1', "u1\x1fit's", 'h1\x1fh2']
