drop table if exists "analytics_pendo_sync"."pendo_sync_verify_run1_0";

create table "analytics_pendo_sync"."pendo_sync_verify_run1_0" (record_key varchar, v0 varchar, v1 varchar);

select cast("user_id" as varchar) from "analytics"."dim_users" where cast("user_id" as varchar) is not null order by random() limit 10;

select m.k, m.c0, m.c1, m.c2, m.c3, case when p.record_key is null then 0 else 1 end, p.v0, p.v1
from (select cast("user_id" as varchar) as k, "first_name" as c0, "plan" as c1, "signed_up_at" as c2, "seats" as c3 from "analytics"."dim_users" where cast("user_id" as varchar) is not null and cast("user_id" as varchar) in ('u1', 'u''2')) m
left join (select record_key, min(v0) as v0, min(v1) as v1 from "analytics_pendo_sync"."pendo_sync_verify_run1_0" group by record_key) p on p.record_key = m.k;

delete from "analytics_pendo_sync"."pendo_sync_state" where model_id = 'model.shop.dim_users' and pendo_group || '|' || record_key in (select x.pendo_group || '|' || x.record_key from "analytics_pendo_sync"."pendo_sync_verify_differences" x where x.run_id = 'run-1' and x.model_id = 'model.shop.dim_users' and x.outcome in ('differ', 'missing'));

insert into "analytics_pendo_sync"."pendo_sync_verify_run1_0" (record_key, v0, v1) select u.c0, u.c1, u.c2 from unnest(%s::text[], %s::text[], %s::text[]) as u(c0, c1, c2);
-- params: [['u1'], ['"Ann"'], ['null']]
