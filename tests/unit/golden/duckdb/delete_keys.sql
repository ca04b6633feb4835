delete from "analytics_pendo_sync"."pendo_sync_state" where model_id = ? and pendo_group = ? and record_key in (select unnest(string_split(?, chr(31))));
-- params: ['model.shop.dim_users', 'custom', 'u1\x1fu2']
