DROP TABLE IF EXISTS "analytics_pendo_sync"."pendo_sync_verify_run1_0";

CREATE TABLE "analytics_pendo_sync"."pendo_sync_verify_run1_0" (record_key VARCHAR(MAX), v0 VARCHAR(MAX), v1 VARCHAR(MAX));

SELECT CAST("user_id" AS VARCHAR(MAX)) FROM "analytics"."dim_users" WHERE NOT CAST("user_id" AS VARCHAR(MAX)) IS NULL ORDER BY RANDOM() LIMIT 10;

SELECT m.k, m.c0, m.c1, m.c2, m.c3, CASE WHEN p.record_key IS NULL THEN 0 ELSE 1 END, p.v0, p.v1 FROM (SELECT CAST("user_id" AS VARCHAR(MAX)) AS k, "first_name" AS c0, "plan" AS c1, "signed_up_at" AS c2, "seats" AS c3 FROM "analytics"."dim_users" WHERE NOT CAST("user_id" AS VARCHAR(MAX)) IS NULL AND CAST("user_id" AS VARCHAR(MAX)) IN ('u1', 'u\'2')) AS m LEFT JOIN (SELECT record_key, MIN(v0) AS v0, MIN(v1) AS v1 FROM "analytics_pendo_sync"."pendo_sync_verify_run1_0" GROUP BY record_key) AS p ON p.record_key = m.k;

DELETE FROM "analytics_pendo_sync"."pendo_sync_state" WHERE model_id = 'model.shop.dim_users' AND pendo_group || '|' || record_key IN (SELECT x.pendo_group || '|' || x.record_key FROM "analytics_pendo_sync"."pendo_sync_verify_differences" AS x WHERE x.run_id = 'run-1' AND x.model_id = 'model.shop.dim_users' AND x.outcome IN ('differ', 'missing'));

INSERT INTO "analytics_pendo_sync"."pendo_sync_verify_run1_0" (record_key, v0, v1) VALUES (%s, %s, %s);
-- params: ['u1', '"Ann"', 'null']
