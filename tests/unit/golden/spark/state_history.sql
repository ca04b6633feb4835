ALTER TABLE `analytics_pendo_sync`.`pendo_sync_state` ADD COLUMN seq BIGINT;

SELECT MAX(seq) FROM `analytics_pendo_sync`.`pendo_sync_state`;

DELETE FROM `analytics_pendo_sync`.`pendo_sync_state` WHERE model_id = 'model.shop.dim_users' AND (row_hash = 'pendo_sync:unknown' OR EXISTS(SELECT 1 FROM `analytics_pendo_sync`.`pendo_sync_state` AS n WHERE n.model_id = 'model.shop.dim_users' AND n.pendo_group = `pendo_sync_state`.pendo_group AND n.record_key = `pendo_sync_state`.record_key AND COALESCE(n.seq, -1) > COALESCE(`pendo_sync_state`.seq, -1)));

SELECT 1 FROM `analytics_pendo_sync`.`pendo_sync_state` WHERE model_id = 'model.shop.dim_users' AND (row_hash = 'pendo_sync:unknown' OR row_hash LIKE 'pending:%') LIMIT 1;

INSERT INTO `analytics_pendo_sync`.`pendo_sync_state` (model_id, pendo_group, record_key, row_hash, synced_at, run_id, seq) SELECT l.model_id, l.pendo_group, l.record_key, 'pendo_sync:unknown', CAST('2026-12-07 17:15:07.123456' AS TIMESTAMP), l.run_id, 1796663707123456 FROM (SELECT model_id, pendo_group, record_key, row_hash, synced_at, run_id FROM (SELECT model_id, pendo_group, record_key, row_hash, synced_at, run_id, ROW_NUMBER() OVER (PARTITION BY pendo_group, record_key ORDER BY COALESCE(seq, -1) DESC) AS pendo_sync__rank FROM `analytics_pendo_sync`.`pendo_sync_state` AS st WHERE model_id = 'model.shop.dim_users') AS ranked WHERE pendo_sync__rank = 1 AND (row_hash IS NULL OR row_hash <> 'pendo_sync:unknown')) AS l;
