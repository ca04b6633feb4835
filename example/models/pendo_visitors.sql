-- One row per Pendo visitor: the fields we want Pendo to know about each user.
select
    user_id,
    email,
    full_name,
    role,
    plan as plan_tier,
    last_login_at,
    is_admin
from {{ ref('app_users') }}
