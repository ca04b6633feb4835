SELECT m.pendo_sync__key, 'add' AS op FROM (SELECT DISTINCT CAST(`user_id` AS STRING) AS pendo_sync__key FROM `analytics`.`dim_users` WHERE NOT `user_id` IS NULL) AS m WHERE NOT EXISTS(SELECT 1 FROM `analytics_pendo_sync`.`pendo_sync_state` AS s WHERE s.model_id = 'model.shop.dim_users' AND s.pendo_group = 'segment' AND s.row_hash = 'seg-1' AND s.record_key = m.pendo_sync__key) UNION ALL SELECT DISTINCT s.record_key, 'remove' AS op FROM `analytics_pendo_sync`.`pendo_sync_state` AS s WHERE s.model_id = 'model.shop.dim_users' AND s.pendo_group = 'segment' AND s.row_hash IN ('seg-1', 'pending:seg-1') AND NOT EXISTS(SELECT 1 FROM `analytics`.`dim_users` AS r WHERE CAST(r.`user_id` AS STRING) = s.record_key);

SELECT COUNT(*) FROM `analytics`.`dim_users` WHERE `user_id` IS NULL;

SELECT COUNT(*) FROM `analytics_pendo_sync`.`pendo_sync_state` WHERE model_id = 'model.shop.dim_users' AND pendo_group = 'segment' AND NOT row_hash IN ('seg-1', 'pending:seg-1');

DELETE FROM `analytics_pendo_sync`.`pendo_sync_state` WHERE model_id = 'model.shop.dim_users' AND pendo_group = 'segment' AND NOT row_hash IN ('seg-1', 'pending:seg-1');
