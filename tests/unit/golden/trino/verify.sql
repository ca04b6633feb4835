DROP TABLE IF EXISTS "analytics_pendo_sync"."pendo_sync_verify_run1_0";

CREATE TABLE "analytics_pendo_sync"."pendo_sync_verify_run1_0" (record_key VARCHAR, v0 VARCHAR, v1 VARCHAR);

SELECT CAST("user_id" AS VARCHAR) FROM "analytics"."dim_users" WHERE NOT CAST("user_id" AS VARCHAR) IS NULL ORDER BY RAND() LIMIT 10;

SELECT m.k, m.c0, m.c1, m.c2, m.c3, CASE WHEN p.record_key IS NULL THEN 0 ELSE 1 END, p.v0, p.v1 FROM (SELECT CAST("user_id" AS VARCHAR) AS k, "first_name" AS c0, "plan" AS c1, "signed_up_at" AS c2, "seats" AS c3 FROM "analytics"."dim_users" WHERE NOT CAST("user_id" AS VARCHAR) IS NULL AND CAST("user_id" AS VARCHAR) IN ('u1', 'u''2')) AS m LEFT JOIN (SELECT record_key, MIN(v0) AS v0, MIN(v1) AS v1 FROM "analytics_pendo_sync"."pendo_sync_verify_run1_0" GROUP BY record_key) AS p ON p.record_key = m.k;

DELETE FROM "analytics_pendo_sync"."pendo_sync_state" WHERE model_id = 'model.shop.dim_users' AND CONCAT(CAST(pendo_group AS VARCHAR), CAST('|' AS VARCHAR), CAST(record_key AS VARCHAR)) IN (SELECT CONCAT(CAST(x.pendo_group AS VARCHAR), CAST('|' AS VARCHAR), CAST(x.record_key AS VARCHAR)) FROM "analytics_pendo_sync"."pendo_sync_verify_differences" AS x WHERE x.run_id = 'run-1' AND x.model_id = 'model.shop.dim_users' AND x.outcome IN ('differ', 'missing'));

INSERT INTO "analytics_pendo_sync"."pendo_sync_verify_run1_0" (record_key, v0, v1) VALUES (?, ?, ?);
-- params: ['u1', '"Ann"', 'null']
