-- Case missing_column: meta.pendo maps fields.custom.plan_tier to plan_name, but the column is plan.
{{ config(enabled=var('pendo_validate_case', '') == 'missing_column', post_hook="{{ pendo_sync.validate() }}") }}

select 'u001' as user_id, 'ada@example.com' as email, 'pro' as plan
