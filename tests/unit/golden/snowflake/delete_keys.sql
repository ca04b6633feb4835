DELETE FROM analytics_pendo_sync.pendo_sync_state WHERE model_id = %s AND pendo_group = %s AND record_key IN (%s, %s);
-- params: ['model.shop.dim_users', 'custom', 'u1', 'u2']
