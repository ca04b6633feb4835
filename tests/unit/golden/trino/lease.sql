INSERT INTO "analytics_pendo_sync"."pendo_sync_lease" (holder, token, taken_at, expires_at, seq) SELECT ?, ?, ?, ?, ? FROM (SELECT 1 AS one) AS one WHERE NOT EXISTS(SELECT 1 FROM (SELECT holder, token, taken_at, expires_at FROM (SELECT holder, token, taken_at, expires_at, ROW_NUMBER() OVER (PARTITION BY token ORDER BY seq DESC) AS pendo_sync__rank FROM "analytics_pendo_sync"."pendo_sync_lease") AS ranked WHERE pendo_sync__rank = 1 AND expires_at > ?) AS live WHERE live.token <> ?);
-- params: ['runner-1', 'token-1', datetime.datetime(2026, 12, 7, 17, 15, 7, 123456), datetime.datetime(2026, 12, 7, 17, 15, 7, 123456), 1796663707123456, datetime.datetime(2026, 12, 7, 17, 15, 7, 123456), 'token-1']

SELECT holder, token, taken_at, expires_at FROM (SELECT holder, token, taken_at, expires_at FROM (SELECT holder, token, taken_at, expires_at, ROW_NUMBER() OVER (PARTITION BY token ORDER BY seq DESC) AS pendo_sync__rank FROM "analytics_pendo_sync"."pendo_sync_lease") AS ranked WHERE pendo_sync__rank = 1 AND expires_at > ?) AS live ORDER BY taken_at, token;
-- params: [datetime.datetime(2026, 12, 7, 17, 15, 7, 123456)]

INSERT INTO "analytics_pendo_sync"."pendo_sync_lease" (holder, token, taken_at, expires_at, seq) VALUES (?, ?, ?, ?, ?);
-- params: ['runner-1', 'token-1', datetime.datetime(2026, 12, 7, 17, 15, 7, 123456), datetime.datetime(2026, 12, 7, 17, 15, 7, 123456), 1796663707123456]
