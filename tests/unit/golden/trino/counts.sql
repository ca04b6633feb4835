SELECT COUNT(*), COUNT(CAST("user_id" AS VARCHAR)) - COUNT(DISTINCT CAST("user_id" AS VARCHAR)) FROM "analytics"."dim_users";

SELECT CAST("user_id" AS VARCHAR) FROM "analytics"."dim_users" WHERE NOT CAST("user_id" AS VARCHAR) IS NULL GROUP BY CAST("user_id" AS VARCHAR) HAVING COUNT(*) > 1 LIMIT 1;

SELECT s.pendo_group, COUNT(*), MAX(s.synced_at) FROM "analytics_pendo_sync"."pendo_sync_state" AS s JOIN (SELECT DISTINCT CAST("user_id" AS VARCHAR) AS k FROM "analytics"."dim_users") AS m ON m.k = s.record_key WHERE s.model_id = 'model.shop.dim_users' GROUP BY s.pendo_group;

SELECT COUNT(DISTINCT s.record_key) FROM "analytics_pendo_sync"."pendo_sync_state" AS s WHERE s.model_id = 'model.shop.dim_users' AND NOT EXISTS(SELECT 1 FROM "analytics"."dim_users" AS m WHERE CAST(m."user_id" AS VARCHAR) = s.record_key);

SELECT COUNT(*) FROM (SELECT pendo_sync__key, c0, c1, c2, c3, e, e_bytes, CASE WHEN e IS NULL THEN NULL ELSE e_ms END AS e_ms FROM (SELECT src.*, CAST(NULL AS VARCHAR) AS e, CAST(NULL AS INTEGER) AS e_bytes, CAST(NULL AS VARCHAR) AS e_ms FROM (SELECT CAST("event_id" AS VARCHAR) AS pendo_sync__key, "event_id" AS c0, "user_id" AS c1, "event" AS c2, "occurred_at" AS c3 FROM "analytics"."fct_events") AS src WHERE NOT EXISTS(SELECT 1 FROM "analytics_pendo_sync"."pendo_sync_state" AS s WHERE s.model_id = 'model.shop.fct_events' AND s.pendo_group = 'event' AND s.record_key = src.pendo_sync__key)) AS d) AS counted;
