alter table "analytics_pendo_sync"."pendo_sync_state" add column seq bigint;

select max(seq) from "analytics_pendo_sync"."pendo_sync_state";

delete from "analytics_pendo_sync"."pendo_sync_state" where model_id = 'model.shop.dim_users' and (row_hash = 'pendo_sync:unknown' or exists (select 1 from "analytics_pendo_sync"."pendo_sync_state" n where n.model_id = 'model.shop.dim_users' and n.pendo_group = "pendo_sync_state".pendo_group and n.record_key = "pendo_sync_state".record_key and coalesce(n.seq, -1) > coalesce("pendo_sync_state".seq, -1)));

select 1 from "analytics_pendo_sync"."pendo_sync_state" where model_id = 'model.shop.dim_users' and (row_hash = 'pendo_sync:unknown' or row_hash like 'pending:%') limit 1;

insert into "analytics_pendo_sync"."pendo_sync_state" (model_id, pendo_group, record_key, row_hash, synced_at, run_id, seq) select l.model_id, l.pendo_group, l.record_key, 'pendo_sync:unknown', ?, l.run_id, 1796663707123456 from (select model_id, pendo_group, record_key, row_hash, synced_at, run_id from (select model_id, pendo_group, record_key, row_hash, synced_at, run_id, row_number() over (partition by pendo_group, record_key order by coalesce(seq, -1) desc) as pendo_sync__rank from "analytics_pendo_sync"."pendo_sync_state" st where model_id = 'model.shop.dim_users') ranked where pendo_sync__rank = 1 and (row_hash is null or row_hash <> 'pendo_sync:unknown')) l;
-- params: [datetime.datetime(2026, 12, 7, 17, 15, 7, 123456)]
