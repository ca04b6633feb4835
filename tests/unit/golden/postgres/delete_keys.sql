delete from "analytics_pendo_sync"."pendo_sync_state" where model_id = %s and pendo_group = %s and record_key = any(%s::text[]);
-- params: ['model.shop.dim_users', 'custom', ['u1', 'u2']]
