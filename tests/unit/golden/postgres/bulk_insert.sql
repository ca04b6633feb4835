insert into "analytics_pendo_sync"."pendo_sync_state" (model_id, pendo_group, synced_at, run_id, record_key, row_hash) select %s, %s, %s, %s, u.c0, u.c1 from unnest(%s::text[], %s::text[]) as u(c0, c1);
-- params: ['model.shop.dim_users', 'custom', datetime.datetime(2026, 12, 7, 17, 15, 7, 123456), 'run-1', ['u1', "it's"], ['h1', 'h2']]
