DROP TABLE IF EXISTS "analytics_pendo_sync"."pendo_sync_verify_run1_0";

CREATE TABLE "analytics_pendo_sync"."pendo_sync_verify_run1_0" (record_key VARCHAR, v0 VARCHAR, v1 VARCHAR);

SELECT CAST("user_id" AS VARCHAR) FROM "analytics"."dim_users" WHERE NOT CAST("user_id" AS VARCHAR) IS NULL ORDER BY RAND() LIMIT 10;

SELECT m.k, m.c0, m.c1, m.c2, m.c3, CASE WHEN p.record_key IS NULL THEN 0 ELSE 1 END, p.v0, p.v1 FROM (SELECT CAST("user_id" AS VARCHAR) AS k, "first_name" AS c0, "plan" AS c1, "signed_up_at" AS c2, "seats" AS c3 FROM "analytics"."dim_users" WHERE NOT CAST("user_id" AS VARCHAR) IS NULL AND CAST("user_id" AS VARCHAR) IN ('u1', 'u''2')) AS m LEFT JOIN (SELECT record_key, MIN(v0) AS v0, MIN(v1) AS v1 FROM "analytics_pendo_sync"."pendo_sync_verify_run1_0" GROUP BY record_key) AS p ON p.record_key = m.k;

INSERT INTO "analytics_pendo_sync"."pendo_sync_state" (model_id, pendo_group, record_key, row_hash, synced_at, run_id, seq) SELECT l.model_id, l.pendo_group, l.record_key, 'pendo_sync:unknown', ?, l.run_id, 1796663707123456 FROM (SELECT model_id, pendo_group, record_key, row_hash, synced_at, run_id FROM (SELECT model_id, pendo_group, record_key, row_hash, synced_at, run_id, ROW_NUMBER() OVER (PARTITION BY pendo_group, record_key ORDER BY COALESCE(seq, -1) DESC) AS pendo_sync__rank FROM "analytics_pendo_sync"."pendo_sync_state" AS st WHERE model_id = 'model.shop.dim_users') AS ranked WHERE pendo_sync__rank = 1 AND (row_hash IS NULL OR row_hash <> 'pendo_sync:unknown')) AS l WHERE CONCAT(CAST(l.pendo_group AS VARCHAR), CAST('|' AS VARCHAR), CAST(l.record_key AS VARCHAR)) IN (SELECT CONCAT(CAST(x.pendo_group AS VARCHAR), CAST('|' AS VARCHAR), CAST(x.record_key AS VARCHAR)) FROM "analytics_pendo_sync"."pendo_sync_verify_differences" AS x WHERE x.run_id = 'run-1' AND x.model_id = 'model.shop.dim_users' AND x.outcome IN ('differ', 'missing'));
-- params: [datetime.datetime(2026, 12, 7, 17, 15, 7, 123456)]

INSERT INTO "analytics_pendo_sync"."pendo_sync_verify_run1_0" (record_key, v0, v1) VALUES (?, ?, ?);
-- params: ['u1', '"Ann"', 'null']
