//! The example server's tiny login: an application session of its own,
//! named by a cookie (RFC 6265), beside the TLS session.
//!
//! `GET /login?user=NAME` starts one and sets the cookie `app_session`
//! with its own expiry (`Max-Age`, `--app-session-lifetime`); every page
//! then says whom the cookie names, if anyone. The application never looks
//! at the TLS session and TLS never sees the cookie: a cookie works over a
//! brand-new TLS session, and a resumed TLS session without the cookie is
//! not logged in.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::{SystemTime, UNIX_EPOCH};

/// How long an application session lives, seconds (`--app-session-lifetime`).
pub static LIFETIME: OnceLock<u64> = OnceLock::new();

/// The default of `--app-session-lifetime`: ten minutes.
pub const DEFAULT_LIFETIME: u64 = 600;

/// The cookie's name.
const COOKIE: &str = "app_session";

/// The application's sessions: cookie value → (user, expires at, UNIX s).
fn sessions() -> &'static Mutex<HashMap<String, (String, u64)>> {
    static SESSIONS: OnceLock<Mutex<HashMap<String, (String, u64)>>> = OnceLock::new();
    SESSIONS.get_or_init(Default::default)
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// For `request` (its head): the `Set-Cookie` header line to send, if it
/// logs in, and the page's section on the application session.
pub fn application_session(request: &str) -> (Option<String>, String) {
    let target = request.split_whitespace().nth(1).unwrap_or("/");
    let user = target
        .strip_prefix("/login?user=")
        .filter(|u| !u.is_empty() && u.bytes().all(|b| b.is_ascii_alphanumeric()));
    let (set_cookie, cookie) = match user {
        Some(user) => {
            let cookie = log_in(user);
            let lifetime = LIFETIME.get().copied().unwrap_or(DEFAULT_LIFETIME);
            let header = format!(
                "Set-Cookie: {COOKIE}={cookie}; Max-Age={lifetime}; Path=/; Secure; HttpOnly\r\n"
            );
            (Some(header), Some(cookie))
        }
        None => (None, cookie_in(request)),
    };
    (set_cookie, describe(cookie.as_deref()))
}

/// A new application session for `user`; its cookie value.
fn log_in(user: &str) -> String {
    let mut token = [0u8; 16];
    // A failed random source leaves no usable token: log no one in.
    if ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut token).is_err() {
        return String::new();
    }
    let cookie = hex::encode(token);
    let lifetime = LIFETIME.get().copied().unwrap_or(DEFAULT_LIFETIME);
    let mut sessions = sessions().lock().unwrap_or_else(|e| e.into_inner());
    sessions.retain(|_, (_, expires)| *expires > now());
    sessions.insert(cookie.clone(), (user.to_owned(), now() + lifetime));
    cookie
}

/// The value of the request's `app_session` cookie, if it sent one.
fn cookie_in(request: &str) -> Option<String> {
    super::header_values(request, "cookie")
        .flat_map(|value| value.split(';'))
        .find_map(|pair| {
            pair.trim()
                .strip_prefix(&format!("{COOKIE}="))
                .map(str::to_owned)
        })
}

fn describe(cookie: Option<&str>) -> String {
    let title = "The application's session (a cookie, RFC 6265: not TLS's)\n";
    let sessions = sessions().lock().unwrap_or_else(|e| e.into_inner());
    let state = match cookie.map(|c| (c, sessions.get(c))) {
        None => "not logged in: no cookie (log in: /login?user=NAME)".to_owned(),
        Some((_, None)) => "not logged in: unknown cookie".to_owned(),
        Some((_, Some((_, expires)))) if *expires <= now() => {
            "not logged in: the application session expired".to_owned()
        }
        Some((c, Some((user, expires)))) => format!(
            "logged in as {user} (cookie {}…, expires in {} s)",
            &c[..c.len().min(12)],
            expires.saturating_sub(now())
        ),
    };
    format!("{title}\x20 login:              {state}\n")
}
