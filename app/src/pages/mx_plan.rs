//! `/domains/:name/mx-plan`: an MX change (add a host, retire one, switch provider) laid out in
//! the order that never makes an MTA-STS sender refuse mail, each step with its earliest safe
//! moment and its progress, and the planned policy replayed against recent reports. Plain
//! forms: it works without JavaScript.

use super::lifecycle::ReplayDetails;
use crate::api::{get_mx_plan, CloseMxPlan, OpenMxPlan};
use crate::components::{form_error, page_frame, Crumbs, ErrorPanel};
use crate::dto::{count_text, format_time, MxPlanDto, MxPlanInfo};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::hooks::use_params_map;
use portcullis_domain::lifecycle::{PlanStep, StepState};
use portcullis_domain::Role;

#[component]
pub fn MxPlanPage() -> impl IntoView {
    let name = use_params_map().get_untracked().get("name").unwrap_or_default();
    let error = form_error::<OpenMxPlan>().or_else(form_error::<CloseMxPlan>);
    page_frame(format!("MX plan · {name}"), None, move |ctx| async move {
        let page = get_mx_plan(name.clone()).await;
        view! {
            <Crumbs trail=vec![(format!("/domains/{name}"), name.clone())] />
            <h1>"MX migration plan"</h1>
            {error.clone().map(|e| view! { <ErrorPanel error=e /> })}
            {match page {
                Err(e) => view! { <ErrorPanel error=e /> }.into_any(),
                Ok(p) => {
                    match p.plan.clone() {
                        Some(plan) => view! { <Plan page=p plan=plan csrf=ctx.csrf.clone() /> }.into_any(),
                        None => view! { <NewPlan page=p csrf=ctx.csrf.clone() /> }.into_any(),
                    }
                }
            }}
        }
        .into_any()
    })
}

/// Where the domain stands: what the policy lists and what the latest check saw.
#[component]
fn Current(page: MxPlanInfo) -> impl IntoView {
    let d = page.domain.clone();
    view! {
        <dl class="facts" data-testid="mx-now">
            <dt>"Policy lists"</dt>
            <dd>
                {match &page.policy {
                    Some((mode, mx)) => format!("{} (mode {mode})", mx.join(", ")),
                    None => "no policy yet".to_string(),
                }}
            </dd>
            <dt>"Live MX"</dt>
            <dd>
                {match &page.live_mx {
                    Some((at, hosts)) if !hosts.is_empty() => {
                        view! { {format!("{} (DNS check of {})", hosts.join(", "), format_time(*at))} }.into_any()
                    }
                    _ => {
                        view! {
                            "unknown: "
                            <a href=format!("/domains/{d}/dns")>"run a DNS check"</a>
                            " so the plan knows where mail goes now"
                        }
                            .into_any()
                    }
                }}
            </dd>
        </dl>
    }
}

#[component]
fn NewPlan(page: MxPlanInfo, csrf: String) -> impl IntoView {
    let d = page.domain.clone();
    let can_plan = page.role.allows(Role::Editor);
    let has_policy = page.policy.as_ref().is_some_and(|(mode, _)| mode != "none");
    view! {
        <section class="card" data-testid="mx-plan-new">
            <h2>"Plan an MX change"</h2>
            <p>
                "Adding an MX host, retiring one or moving to another provider breaks mail when it happens in the wrong order: a sender in enforce delivers only to hosts its cached policy lists, and keeps that policy for up to its max_age. Name the hosts; Portcullis lays out the steps in their safe order, says when each one is safe, follows the progress through the policy and the DNS checks, and replays recent reports against the planned policy."
            </p>
            <Current page=page.clone() />
            {match (has_policy, can_plan) {
                (false, _) => {
                    view! {
                        <p class="muted">
                            "This domain has no testing or enforce policy: "
                            <a href=format!("/domains/{d}/policy")>"write one"</a> " before planning MX changes."
                        </p>
                    }
                        .into_any()
                }
                (true, false) => view! { <p class="muted">"Editors and owners plan MX changes."</p> }.into_any(),
                (true, true) => {
                    view! {
                        <form method="post" action=OpenMxPlan::PATH class="stacked">
                            <input type="hidden" name="csrf" value=csrf />
                            <input type="hidden" name="name" value=d.clone() />
                            <div class="field">
                                <label for="plan-add">"MX hosts to add"</label>
                                <textarea
                                    id="plan-add"
                                    name="add"
                                    rows="2"
                                    maxlength="2600"
                                    aria-describedby="plan-add-help"
                                    placeholder="mx1.new-provider.example"
                                ></textarea>
                                <p id="plan-add-help" class="hint">
                                    "One host per line. A provider switch names the new hosts here and the old ones below."
                                </p>
                            </div>
                            <div class="field">
                                <label for="plan-retire">"MX hosts to retire"</label>
                                <textarea
                                    id="plan-retire"
                                    name="retire"
                                    rows="2"
                                    maxlength="2600"
                                    aria-describedby="plan-retire-help"
                                ></textarea>
                                <p id="plan-retire-help" class="hint">
                                    "Hosts that should stop receiving mail: a live MX host or one the policy lists."
                                </p>
                            </div>
                            <button type="submit">"Plan the change"</button>
                        </form>
                    }
                        .into_any()
                }
            }}
        </section>
    }
}

fn state_badge(state: StepState) -> AnyView {
    let (class, text) = match state {
        StepState::Done => ("badge ok", "done"),
        StepState::Ready => ("badge warn", "do it now"),
        StepState::Waiting => ("badge", "wait"),
        StepState::Blocked => ("badge", "after the step before"),
    };
    view! {
        <span class=class data-state=state.as_str()>
            {text}
        </span>
    }
    .into_any()
}

#[component]
fn Step(step: PlanStep, n: usize) -> impl IntoView {
    let when = match (step.state, step.done_at, step.earliest) {
        (StepState::Done, Some(t), _) => Some(format!("Done {}", format_time(t))),
        (_, _, Some(t)) if step.projected => Some(format!(
            "Earliest safe: {} (if the step before were done now)",
            format_time(t)
        )),
        (_, _, Some(t)) => Some(format!("Earliest safe: {}", format_time(t))),
        _ => None,
    };
    view! {
        <li data-step=step.code.as_str() data-state=step.state.as_str()>
            <strong>{format!("{n}. {}", step.title)}</strong>
            " "
            {state_badge(step.state)}
            <br />
            <span class="detail">{step.detail.clone()}</span>
            {when.map(|w| view! { <p class="hint">{w}</p> })}
            {(!step.warnings.is_empty())
                .then(|| {
                    view! {
                        <ul class="warnings">
                            {step.warnings.iter().map(|w| view! { <li>{w.clone()}</li> }).collect_view()}
                        </ul>
                    }
                })}
        </li>
    }
}

#[component]
fn Plan(page: MxPlanInfo, plan: MxPlanDto, csrf: String) -> impl IntoView {
    let d = page.domain.clone();
    let can_change = page.role.allows(Role::Editor);
    let r = plan.replay.clone();
    let next = plan.steps.iter().find(|s| s.state != StepState::Done).cloned();
    let what = match plan.kind.as_str() {
        "add" => format!("Add {}", plan.add.join(", ")),
        "retire" => format!("Retire {}", plan.retire.join(", ")),
        _ => format!("Switch from {} to {}", plan.retire.join(", "), plan.add.join(", ")),
    };
    view! {
        <section class="card" data-testid="mx-plan">
            <h2>{what}</h2>
            <p class="muted">{format!("Planned by {} on {}.", plan.created_by, format_time(plan.created_at))}</p>
            <p data-testid="mx-plan-status">
                {match &next {
                    None => "Every step is done: the migration is complete. Close the plan below.".to_string(),
                    Some(s) => format!("Next: {}.", s.title),
                }}
            </p>
            <Current page=page.clone() />
            <ol class="checklist plan-steps">
                {plan.steps.iter().cloned().enumerate().map(|(i, s)| view! { <Step step=s n=i + 1 /> }).collect_view()}
            </ol>
            <details>
                <summary>"The policy once the plan is through"</summary>
                <pre class="policy-text" data-testid="mx-plan-policy">
                    {plan.planned_policy.clone()}
                </pre>
            </details>
        </section>
        <section class="card" data-testid="mx-plan-replay">
            <h2>"What would break"</h2>
            <p>
                {if r.refused_sessions == 0 {
                    format!(
                        "Replaying the failed sessions of {} to {} against the planned policy in enforce: none would have been refused.",
                        plan.replay_from,
                        plan.replay_to,
                    )
                } else {
                    format!(
                        "Replaying the failed sessions of {} to {} against the planned policy in enforce: {} session(s) would have been refused.",
                        plan.replay_from,
                        plan.replay_to,
                        count_text(r.refused_sessions),
                    )
                }}
            </p>
            <ReplayDetails r=r.clone() uncovered="MX hosts live after the plan that the planned policy does not list" />
        </section>
        {can_change
            .then(|| {
                let complete = plan.complete;
                view! {
                    <section class="card" data-testid="mx-plan-close">
                        <h2>{if complete { "Close the plan" } else { "Cancel the plan" }}</h2>
                        <form method="post" action=CloseMxPlan::PATH>
                            <input type="hidden" name="csrf" value=csrf />
                            <input type="hidden" name="name" value=d.clone() />
                            {(!complete)
                                .then(|| {
                                    view! {
                                        <p>
                                            <label>
                                                <input type="checkbox" name="confirm_click" required />
                                                " Cancel it: steps already done stay done (the policy and DNS are not changed back)"
                                            </label>
                                        </p>
                                    }
                                })}
                            <button type="submit">{if complete { "Close the plan" } else { "Cancel the plan" }}</button>
                        </form>
                    </section>
                }
            })}
    }
}
