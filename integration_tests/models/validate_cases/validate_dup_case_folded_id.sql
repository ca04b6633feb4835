-- Case dup_case_folded_id: the model stores "USER_ID" and "Plan" (as Snowflake stores unquoted names upper-case),
-- meta.pendo maps user_id and PLAN: each resolves to the one column differing only in case, and the key check
-- reads the stored "USER_ID", where u002 appears twice.
{{ config(enabled=var('pendo_validate_case', '') == 'dup_case_folded_id', post_hook="{{ pendo_sync.validate() }}") }}

select 'u001' as "USER_ID", 'pro' as "Plan"
union all
select 'u002', 'free'
union all
select 'u002', 'pro'
