select m.pendo_sync__key, 'add' as op from (select distinct cast("user_id" as varchar) as pendo_sync__key from "analytics"."dim_users" where "user_id" is not null) m
where not exists (select 1 from "analytics_pendo_sync"."pendo_sync_state" s where s.model_id = 'model.shop.dim_users' and s.pendo_group = 'segment' and s.row_hash = 'seg-1' and s.record_key = m.pendo_sync__key)
union all
select distinct s.record_key, 'remove' as op from "analytics_pendo_sync"."pendo_sync_state" s where s.model_id = 'model.shop.dim_users' and s.pendo_group = 'segment' and s.row_hash in ('seg-1', 'pending:seg-1')
and not exists (select 1 from "analytics"."dim_users" r where cast(r."user_id" as varchar) = s.record_key);

select count(*) from "analytics"."dim_users" where "user_id" is null;

select count(*) from "analytics_pendo_sync"."pendo_sync_state" where model_id = 'model.shop.dim_users' and pendo_group = 'segment' and row_hash not in ('seg-1', 'pending:seg-1');

delete from "analytics_pendo_sync"."pendo_sync_state" where model_id = 'model.shop.dim_users' and pendo_group = 'segment' and row_hash not in ('seg-1', 'pending:seg-1');
