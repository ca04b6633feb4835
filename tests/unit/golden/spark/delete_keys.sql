DELETE FROM `analytics_pendo_sync`.`pendo_sync_state` WHERE model_id = 'model.shop.dim_users' AND pendo_group = 'custom' AND record_key IN ('u1', 'u2');
