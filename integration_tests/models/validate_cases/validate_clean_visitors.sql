-- Always built: a tagged visitor model that passes pendo_sync.validate().
{{ config(post_hook="{{ pendo_sync.validate() }}") }}

select 'u001' as user_id, 'ada@example.com' as email, 'pro' as plan, 12 as seats
union all
select 'u002', 'grace@example.com', 'free', 1
union all
select 'u003', null, 'pro', 5
