DELETE FROM "analytics_pendo_sync"."pendo_sync_state" WHERE model_id = ? AND pendo_group = ? AND record_key IN (?, ?);
-- params: ['model.shop.dim_users', 'custom', 'u1', 'u2']
