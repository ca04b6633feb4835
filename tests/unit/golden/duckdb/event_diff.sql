select pendo_sync__key, c0, c1, c2, c3, e, e_bytes, case when e is null then null else e_ms end as e_ms
from (select src.*, cast(null as varchar) as e, cast(null as integer) as e_bytes, cast(null as varchar) as e_ms from (select cast("event_id" as varchar) as pendo_sync__key, "event_id" as c0, "user_id" as c1, "event" as c2, "occurred_at" as c3 from "analytics"."fct_events") src
where not exists (select 1 from "analytics_pendo_sync"."pendo_sync_state" s where s.model_id = 'model.shop.fct_events' and s.pendo_group = 'event' and s.record_key = src.pendo_sync__key)) d;
