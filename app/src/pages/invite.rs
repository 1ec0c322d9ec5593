//! `/invite/<token>`: the page an invitation link opens. Someone with no account chooses their
//! password here; someone with one signs in (and comes back) or, signed in, accepts.

use crate::api::{get_invitation, AcceptInvitation, AcceptInvitationWithPassword};
use crate::components::{form_error, page_frame, ErrorPanel, FieldError};
use crate::dto::format_time;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::hooks::use_params_map;

#[component]
pub fn InvitePage() -> impl IntoView {
    let token = use_params_map().get_untracked().get("token").unwrap_or_default();
    let err = form_error::<AcceptInvitationWithPassword>().or_else(form_error::<AcceptInvitation>);
    page_frame("Invitation".to_string(), None, move |ctx| async move {
        let invitation = match get_invitation(token.clone()).await {
            Ok(i) => i,
            Err(e) => {
                return view! {
                    <section class="card narrow">
                        <h1>"Invitation"</h1>
                        <ErrorPanel error=e />
                    </section>
                }
                .into_any()
            }
        };
        let field = |name: &str| err.as_ref().and_then(|e| e.for_field(name));
        let other = err
            .clone()
            .filter(|e| e.for_field("password").is_none() && e.for_field("confirm").is_none());
        let email = invitation.email.clone();
        let action = match (&invitation.signed_in_as, invitation.has_account) {
            (Some(me), _) if me.eq_ignore_ascii_case(&email) => view! {
                <form method="post" action=AcceptInvitation::PATH class="stack">
                    <input type="hidden" name="csrf" value=ctx.csrf.clone() />
                    <input type="hidden" name="token" value=token.clone() />
                    <button type="submit" class="primary">
                        {format!("Join {}", invitation.org_name)}
                    </button>
                </form>
            }.into_any(),
            (Some(me), _) => view! {
                <div class="panel warn" role="status">
                    {format!(
                        "You are signed in as {me}, but this invitation is for {email}. Sign out, then open the link again.",
                    )}
                </div>
            }.into_any(),
            (None, true) => view! {
                <p>{format!("{email} has an account: sign in to accept.")}</p>
                <a class="button primary" href=format!("/login?next=/invite/{token}")>
                    "Sign in to accept"
                </a>
            }.into_any(),
            (None, false) => view! {
                <p>
                    {format!(
                        "Choose the password for {email}. Nobody else has seen it, and you sign in with it from now on.",
                    )}
                </p>
                <form method="post" action=AcceptInvitationWithPassword::PATH class="stack">
                    <input type="hidden" name="csrf" value=ctx.csrf.clone() />
                    <input type="hidden" name="token" value=token.clone() />
                    <input type="email" name="username" value=email.clone() autocomplete="username" hidden />
                    <label for="password">"Password"</label>
                    <input
                        id="password"
                        name="password"
                        type="password"
                        autocomplete="new-password"
                        minlength="12"
                        required
                        aria-describedby="password-hint password-error"
                    />
                    <p id="password-hint" class="hint">
                        "At least 12 characters. A passphrase is easiest."
                    </p>
                    <FieldError id="password-error" error=field("password") />
                    <label for="confirm">"Repeat the password"</label>
                    <input
                        id="confirm"
                        name="confirm"
                        type="password"
                        autocomplete="new-password"
                        required
                        aria-describedby="confirm-error"
                    />
                    <FieldError id="confirm-error" error=field("confirm") />
                    <button type="submit" class="primary">
                        {format!("Create the account and join {}", invitation.org_name)}
                    </button>
                </form>
            }.into_any(),
        };
        view! {
            <section class="card narrow">
                <h1>{format!("Join {}", invitation.org_name)}</h1>
                <p>
                    {format!(
                        "{} invites {} as {} ({}). The link works once, until {}.",
                        invitation.invited_by,
                        email,
                        invitation.role.as_str(),
                        invitation.role.describe(),
                        format_time(invitation.expires_at),
                    )}
                </p>
                {other.map(|e| view! { <ErrorPanel error=e /> })}
                {action}
            </section>
        }
        .into_any()
    })
}
