insert into "analytics_pendo_sync"."pendo_sync_lease" (holder, token, taken_at, expires_at, seq) select %s, %s, %s, %s, %s from (select 1 as one) one where not exists (select 1 from (select holder, token, taken_at, expires_at from (select holder, token, taken_at, expires_at, row_number() over (partition by token order by seq desc) as pendo_sync__rank from "analytics_pendo_sync"."pendo_sync_lease") ranked where pendo_sync__rank = 1 and expires_at > %s) live where live.token <> %s);
-- params: ['runner-1', 'token-1', datetime.datetime(2026, 12, 7, 17, 15, 7, 123456), datetime.datetime(2026, 12, 7, 17, 15, 7, 123456), 1796663707123456, datetime.datetime(2026, 12, 7, 17, 15, 7, 123456), 'token-1']

select holder, token, taken_at, expires_at from (select holder, token, taken_at, expires_at from (select holder, token, taken_at, expires_at, row_number() over (partition by token order by seq desc) as pendo_sync__rank from "analytics_pendo_sync"."pendo_sync_lease") ranked where pendo_sync__rank = 1 and expires_at > %s) live order by taken_at, token;
-- params: [datetime.datetime(2026, 12, 7, 17, 15, 7, 123456)]

insert into "analytics_pendo_sync"."pendo_sync_lease" (holder, token, taken_at, expires_at, seq) values (%s, %s, %s, %s, %s);
-- params: ['runner-1', 'token-1', datetime.datetime(2026, 12, 7, 17, 15, 7, 123456), datetime.datetime(2026, 12, 7, 17, 15, 7, 123456), 1796663707123456]
