-- An application's login audit table next to the demo repository (schema `app`), read by
-- the demo's `postgres` source: a week of LOGIN/LOGOUT rows of eight users on three
-- hosts from 2026-11-01, a daily PASSWORD_CHANGE of user3 (not a login event: it lands
-- in auth_rejected), and two sessions of the last day still open. Rows are inserted in
-- time order, so ids follow time like a real log's sequence.
CREATE SCHEMA app;
CREATE TABLE app.login_audit (
    id bigserial PRIMARY KEY,
    at timestamptz NOT NULL,
    action text NOT NULL,
    host text NOT NULL,
    username text,
    details jsonb
);
INSERT INTO app.login_audit (at, action, host, username, details)
SELECT e.at, e.action, 'app' || (u % 3 + 1), 'user' || u,
       jsonb_build_object('client', CASE WHEN u % 2 = 0 THEN 'web' ELSE 'desktop' END)
FROM generate_series(0, 6) AS d,
     generate_series(1, 8) AS u,
     LATERAL (VALUES
         (TIMESTAMPTZ '2026-11-01 13:00:00+00' + d * interval '1 day' + u * interval '17 minutes',
          'LOGIN'),
         (TIMESTAMPTZ '2026-11-01 21:00:00+00' + d * interval '1 day' - u * interval '3 minutes',
          'LOGOUT'),
         (TIMESTAMPTZ '2026-11-01 15:00:00+00' + d * interval '1 day',
          CASE WHEN u = 3 THEN 'PASSWORD_CHANGE' END)
     ) AS e(at, action)
WHERE e.action IS NOT NULL
  AND NOT (d = 6 AND u <= 2 AND e.action = 'LOGOUT')
ORDER BY e.at, u;
