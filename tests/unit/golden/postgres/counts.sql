select count(*), count(cast("user_id" as varchar)) - count(distinct cast("user_id" as varchar)) from "analytics"."dim_users";

select cast("user_id" as varchar) from "analytics"."dim_users" where cast("user_id" as varchar) is not null group by cast("user_id" as varchar) having count(*) > 1 limit 1;

select s.pendo_group, count(*), max(s.synced_at)
from "analytics_pendo_sync"."pendo_sync_state" s join (select distinct cast("user_id" as varchar) as k from "analytics"."dim_users") m on m.k = s.record_key
where s.model_id = 'model.shop.dim_users' group by s.pendo_group;

select count(distinct s.record_key) from "analytics_pendo_sync"."pendo_sync_state" s
where s.model_id = 'model.shop.dim_users' and not exists (select 1 from "analytics"."dim_users" m where cast(m."user_id" as varchar) = s.record_key);

select count(*) from (select pendo_sync__key, c0, c1, c2, c3, e, e_bytes, case when e is null then null else e_ms end as e_ms
from (select src.*, cast(null as varchar) as e, cast(null as integer) as e_bytes, cast(null as varchar) as e_ms from (select cast("event_id" as varchar) as pendo_sync__key, "event_id" as c0, "user_id" as c1, "event" as c2, "occurred_at" as c3 from "analytics"."fct_events") src
where not exists (select 1 from "analytics_pendo_sync"."pendo_sync_state" s where s.model_id = 'model.shop.fct_events' and s.pendo_group = 'event' and s.record_key = src.pendo_sync__key)) d) counted;
