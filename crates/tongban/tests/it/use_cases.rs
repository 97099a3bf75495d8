//! The use cases called directly, without HTTP, on both databases: what the API, the pages and the command line
//! share — the workflow, the one error kind, the access policy and its masking, the texts a deployment sends.

use crate::both_databases;
use crate::helpers::{Db, TestDb, APPLICANT_ID as ID, LICENCE_ITEM as ITEM, REGION};
use tongban_app::cases::{self, parse_applicant, ActOptions, FiledBy, Filing};
use tongban_app::policy::{self, Capability, Shown};
use tongban_app::{ErrorKind, Settings};

fn filing() -> Filing {
    Filing {
        item_code: ITEM.into(),
        applicant: parse_applicant("person", "张三", Some(ID), None, "13812345678").unwrap(),
        channel: "window".into(),
        site_code: "hall".into(),
        agent: String::new(),
        form: serde_json::json!({}),
        materials: vec![
            "申请表".into(),
            "营业执照或统一社会信用代码证明".into(),
            "场所使用权证明".into(),
            "相关资质证明材料".into(),
        ],
        idempotency_key: None,
        request_hash: String::new(),
        delivery: Default::default(),
    }
}

/// Every notice queued so far, oldest first.
async fn queued_texts(db: &TestDb) -> Vec<String> {
    sqlx::query_scalar::<_, String>("SELECT body FROM outbox WHERE delivered_at IS NULL ORDER BY id")
        .fetch_all(db.app.store.pool())
        .await
        .unwrap()
}

both_databases!(
    a_case_runs_its_workflow_through_the_use_cases,
    |db: TestDb| async move {
        let clerk = db.session("clerk").await;
        let reviewer = db.session("reviewer").await;
        let head = db.session("head").await;
        let app = &db.app;
        let (case, created) = cases::file(app, REGION, filing(), FiledBy::Staff(&clerk))
            .await
            .unwrap();
        assert!(created);
        assert_eq!((case.state.as_str(), case.site_code.as_str()), ("submitted", "hall"));
        let texts = queued_texts(&db).await;
        assert!(
            texts
                .iter()
                .any(|t| t.starts_with("【云溪区政务服务】") && t.contains("已提交")),
            "{texts:?}"
        );

        let no = ActOptions::default();
        let case = cases::act(app, &clerk, &case.number, "accept", 1, "", &no)
            .await
            .unwrap();
        assert_eq!(case.state, "under_review");
        // The one error kind says what went wrong; the web edge alone turns it into a status.
        let e = cases::act(app, &reviewer, &case.number, "review", case.version, "", &no)
            .await
            .unwrap_err();
        assert_eq!((e.kind, e.code), (ErrorKind::Invalid, "comment_required"));
        let e = cases::act(app, &reviewer, &case.number, "review", case.version - 1, "同意", &no)
            .await
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::Conflict, "{e}");
        let e = cases::act(app, &head, &case.number, "review", case.version, "同意", &no)
            .await
            .unwrap_err();
        assert_eq!(
            (e.kind, e.code),
            (ErrorKind::Forbidden, "role_not_allowed"),
            "a head does not review"
        );
        let case = cases::act(app, &reviewer, &case.number, "review", case.version, "同意", &no)
            .await
            .unwrap();
        assert_eq!(case.state, "pending_decision");
        let case = cases::act(app, &head, &case.number, "approve", case.version, "准予许可", &no)
            .await
            .unwrap();
        assert_eq!(case.state, "approved");
        assert!(
            queued_texts(&db)
                .await
                .iter()
                .any(|t| t.contains(&case.number) && t.contains("准予")),
            "the applicant is told of the decision"
        );
    }
);

both_databases!(
    the_policy_decides_who_reads_a_case_and_who_sees_its_applicant,
    |db: TestDb| async move {
        db.department_staff().await;
        let clerk = db.session("clerk").await;
        let app = &db.app;
        let (case, _) = cases::file(app, REGION, filing(), FiledBy::Staff(&clerk))
            .await
            .unwrap();
        // Another department's reviewer: the case does not exist for them.
        let other = db.session("reviewer-rsj").await;
        assert!(!policy::may_read_case(&other, &case));
        let e = cases::load(app, &other, &case.number).await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::NotFound);
        // Its own department's reviewer reads it and sees the applicant whole; a supervisor reads it masked; nobody sees
        // the applicant whole in a list; the public never.
        let reviewer = db.session("reviewer").await;
        let supervisor = db.session("supervisor").await;
        assert!(cases::load(app, &reviewer, &case.number).await.is_ok());
        assert!(policy::reveals_case_applicant(Some(&reviewer), &case, Shown::Record));
        assert!(policy::reveals_case_applicant(Some(&clerk), &case, Shown::Record));
        assert!(!policy::reveals_case_applicant(Some(&supervisor), &case, Shown::Record));
        assert!(!policy::reveals_case_applicant(Some(&clerk), &case, Shown::List));
        assert!(!policy::reveals_case_applicant(None, &case, Shown::Record));
        assert_eq!(
            policy::mask::identifier(&case.applicant_kind, &case.applicant_identifier),
            "110105********002X"
        );
        assert_eq!(policy::mask::phone(&case.applicant_phone), "138****5678");
    }
);

both_databases!(
    capabilities_refuse_with_forbidden_and_change_nothing,
    |db: TestDb| async move {
        let app = &db.app;
        let operator = db.session("operator").await;
        let admin = db.session("admin").await;
        // Configuring the hall's queue is the administrator's.
        let window = app.store.windows(REGION).await.unwrap().remove(0).code;
        let input = tongban_app::queue::CategoryInput {
            code: "zz".into(),
            name: "测试业务".into(),
            prefix: "Z".into(),
            windows: vec![window],
            open: true,
            slot_minutes: 30,
            slot_capacity: 2,
            hours: tongban_app::queue::DEFAULT_HOURS.into(),
            position: 99,
        };
        let before = app.store.queue_categories(REGION).await.unwrap().len();
        let e = tongban_app::queue::save_category(app, &operator, input.clone(), true, chrono::Utc::now())
            .await
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::Forbidden);
        assert!(e.message.contains("12345热线话务员"), "the refusal names the role: {e}");
        assert_eq!(app.store.queue_categories(REGION).await.unwrap().len(), before);
        if let Err(e) = tongban_app::queue::save_category(app, &admin, input, true, chrono::Utc::now()).await {
            panic!("{e}");
        }
        assert_eq!(app.store.queue_categories(REGION).await.unwrap().len(), before + 1);
        // Delegations are the administrator's too; a clerk's attempt writes nothing.
        let clerk = db.session("clerk").await;
        let req = tongban_app::reform::DelegationRequest {
            item_code: ITEM.into(),
            target_kind: "town".into(),
            target_code: "430603101".into(),
            delegated_by: String::new(),
            from_date: "2026-01-01".into(),
            document: "云政发〔2026〕1号".into(),
        };
        let delegations = app.store.delegations(REGION).await.unwrap().len();
        let e = tongban_app::reform::grant_delegation(app, &clerk, &req)
            .await
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::Forbidden);
        assert_eq!(app.store.delegations(REGION).await.unwrap().len(), delegations);
        // The same table drives the pages' menus.
        assert!(policy::allows(&admin.staff, Capability::ConfigureQueue));
        assert!(!policy::allows(&operator.staff, Capability::ConfigureQueue));
        assert!(policy::allows(&operator.staff, Capability::TakeHotlineCalls));
        assert!(!policy::allows(&clerk.staff, Capability::TakeHotlineCalls));
    }
);

/// A deployment for another district signs its texts with that district's name.
async fn texts_are_signed_with_the_region_of_the_settings(db: Db) {
    let settings = Settings {
        region_name: "测试区".into(),
        ..Default::default()
    };
    let Some(db) = TestDb::open(db, settings).await else {
        return;
    };
    let clerk = db.session("clerk").await;
    cases::file(&db.app, REGION, filing(), FiledBy::Staff(&clerk))
        .await
        .unwrap();
    let texts = queued_texts(&db).await;
    assert!(!texts.is_empty());
    assert!(texts.iter().all(|t| t.starts_with("【测试区政务服务】")), "{texts:?}");
}

mod texts_name_the_region {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::texts_are_signed_with_the_region_of_the_settings(super::Db::Sqlite).await;
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::texts_are_signed_with_the_region_of_the_settings(super::Db::Postgres).await;
    }
}

both_databases!(
    a_request_offers_exactly_the_steps_its_lifecycle_accepts,
    |db: TestDb| async move {
        use tongban_app::disclosure::{self as d, RequestAction, RequestInput};
        db.department_staff().await;
        let app = &db.app;
        let today = tongban_app::time::today();
        let now = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
        let input = RequestInput {
            department: "mzj".into(),
            applicant_kind: "person".into(),
            org_kind: None,
            name: "李四".into(),
            id_number: Some(ID.into()),
            credit_code: None,
            phone: "13907301234".into(),
            email: None,
            address: Some("岳阳市云溪区云溪镇八一村".into()),
            description: "本村2025年低保名单".into(),
            purpose: None,
            delivery: "paper".into(),
            channel: None,
            received_on: None,
        };
        let r = d::file_request(app, REGION, input, None, today, &now, None)
            .await
            .unwrap();
        let request = d::load_request(app, &db.session("discloser").await, &r.number)
            .await
            .unwrap();
        let reviewer = db.session("reviewer-mzj").await;
        let head = db.session("head-mzj").await;
        let supervisor = db.session("supervisor").await;
        // The department's reviewer handles it but may not extend; its head may; a supervisor reads and does nothing.
        assert_eq!(
            d::request_actions(&reviewer, &request),
            vec!["request_correction", "consult", "reply"]
        );
        assert_eq!(
            d::request_actions(&head, &request),
            vec!["request_correction", "consult", "extend", "reply"]
        );
        assert!(d::request_actions(&supervisor, &request).is_empty());
        let extend = || RequestAction::Extend {
            days: 10,
            reason: "需要调取档案",
        };
        let e = d::act_on_request(app, &reviewer, &r.number, extend(), today, &now)
            .await
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::Forbidden, "what is not offered is refused: {e}");
        d::act_on_request(app, &head, &r.number, extend(), today, &now)
            .await
            .unwrap();
        let request = d::load_request(app, &head, &r.number).await.unwrap();
        assert!(
            !d::request_actions(&head, &request).contains(&"extend"),
            "extended once, never again"
        );
        let e = d::act_on_request(app, &head, &r.number, extend(), today, &now)
            .await
            .unwrap_err();
        assert_eq!((e.kind, e.code), (ErrorKind::Conflict, "already_extended"));
        let e = d::act_on_request(
            app,
            &reviewer,
            &r.number,
            RequestAction::Resume { note: "" },
            today,
            &now,
        )
        .await
        .unwrap_err();
        assert_eq!((e.kind, e.code), (ErrorKind::Conflict, "invalid_state"), "{e}");
    }
);
