//! 12345 hotline seed: the default category tree routed to the district's departments, and for the demo a stream
//! of orders at the report's rate (6,139 a year, about 24 per working day) across channels and states, with a few
//! planted clusters so that the early-warning page has something to show.

use chrono::{DateTime, Duration, Utc};
use tongban_app::hotline::{self, ActionRequest, Intake};
use tongban_store::{HotlineCategory, Store, StoreError};

/// (code, name, parent, kind, department, keywords)
const CATEGORIES: [(&str, &str, &str, &str, &str, &str); 24] = [
    ("csgl", "城市建设与管理", "", "help", "", ""),
    ("ludeng", "路灯照明", "csgl", "help", "zhzfj", "路灯 照明 不亮"),
    ("daolu", "道路破损", "csgl", "help", "zjj", "道路 坑洼 井盖"),
    ("laji", "垃圾清运", "csgl", "complaint", "zhzfj", "垃圾 清运 卫生"),
    ("gongshui", "供水停水", "csgl", "help", "swuj", "停水 水压 水质"),
    ("shbz", "社会保障", "", "consultation", "", ""),
    (
        "shebao",
        "社保咨询",
        "shbz",
        "consultation",
        "rsj",
        "社保 养老保险 社保卡",
    ),
    ("yibao", "医保报销", "shbz", "consultation", "ybj", "医保 报销 异地就医"),
    ("jiuzhu", "低保与救助", "shbz", "help", "mzj", "低保 救助 困难"),
    ("ldbz", "劳动权益", "", "complaint", "", ""),
    ("qianxin", "拖欠工资", "ldbz", "complaint", "rsj", "欠薪 工资 农民工"),
    ("scjg", "市场监管", "", "report", "", ""),
    ("shipin", "食品安全", "scjg", "report", "scjgj", "食品 过期 卫生"),
    ("xiaofei", "消费维权", "scjg", "complaint", "scjgj", "消费 退款 商家"),
    ("sthj", "生态环境", "", "report", "", ""),
    ("zaosheng", "噪声扰民", "sthj", "complaint", "sthjj", "噪音 施工 扰民"),
    ("wuran", "环境污染", "sthj", "report", "sthjj", "污染 排放 异味"),
    ("jtcx", "交通出行", "", "suggestion", "", ""),
    ("gongjiao", "公交线路", "jtcx", "suggestion", "jtysj", "公交 班次 站点"),
    ("jyws", "教育卫生", "", "consultation", "", ""),
    ("ruxue", "入学报名", "jyws", "consultation", "jktj", "入学 学位 报名"),
    ("zwfw", "政务服务", "", "consultation", "", ""),
    ("banshi", "办事咨询", "zwfw", "consultation", "xzspj", "办事 材料 流程"),
    ("jianyi", "意见建议", "zwfw", "suggestion", "zfb", "建议 意见"),
];

pub async fn load_reference(store: &Store, region: &str) -> Result<usize, StoreError> {
    for (i, (code, name, parent, kind, dept, keywords)) in CATEGORIES.iter().enumerate() {
        let c = HotlineCategory {
            code: code.to_string(),
            name: name.to_string(),
            parent_code: parent.to_string(),
            kind: kind.to_string(),
            department_code: dept.to_string(),
            limit_days: None,
            keywords: keywords.to_string(),
            position: i as i64,
            active: true,
        };
        store.upsert_hotline_category(region, &c, "seed").await?;
    }
    Ok(CATEGORIES.len())
}

/// Typical texts per leaf, from how callers put it.
const TEXTS: [(&str, &[&str]); 15] = [
    (
        "ludeng",
        &[
            "小区门口路灯不亮，晚上出行不安全",
            "路口的路灯坏了很久没人修",
            "巷子里路灯晚上不亮",
        ],
    ),
    (
        "daolu",
        &[
            "道路坑洼积水，车辆通行困难",
            "人行道井盖松动有安全隐患",
            "村道路面破损严重",
        ],
    ),
    (
        "laji",
        &[
            "垃圾桶满了没人清运，气味很大",
            "小区垃圾堆放多日未清理",
            "菜市场旁垃圾无人收集",
        ],
    ),
    (
        "gongshui",
        &["家里停水两天了没有通知", "楼上水压太低用不了热水器", "自来水发黄有异味"],
    ),
    (
        "shebao",
        &[
            "咨询灵活就业社保怎么缴纳",
            "社保卡丢了怎么补办",
            "养老保险转移接续怎么办理",
        ],
    ),
    (
        "yibao",
        &["异地就医医保怎么备案报销", "门诊慢特病怎么申请", "医保报销比例是多少"],
    ),
    (
        "jiuzhu",
        &["家里困难想申请低保", "临时救助需要什么材料", "残疾人补贴怎么申请"],
    ),
    (
        "qianxin",
        &["工地拖欠农民工工资三个月", "公司拖欠工资不发", "装修队老板欠薪跑路"],
    ),
    ("shipin", &["超市卖过期食品", "餐馆后厨卫生很差", "早餐店使用地沟油"]),
    (
        "xiaofei",
        &[
            "健身房关门不退预付款",
            "网购商品质量问题商家不退货",
            "理发店办卡后不认账",
        ],
    ),
    (
        "zaosheng",
        &["工地夜间施工噪音扰民", "广场舞音响声音太大", "烧烤店深夜噪音"],
    ),
    (
        "wuran",
        &["化工厂夜间排放刺鼻气体", "河道有工厂偷排污水", "焚烧垃圾烟雾很大"],
    ),
    (
        "gongjiao",
        &[
            "建议增加早高峰公交班次",
            "公交站点太远希望增设站点",
            "公交车晚上收班太早",
        ],
    ),
    (
        "ruxue",
        &["咨询小学入学报名时间", "随迁子女入学需要什么材料", "学区划分怎么查询"],
    ),
    (
        "banshi",
        &["办理营业执照需要什么材料", "不动产登记要多久", "居住证怎么办理"],
    ),
];

/// Planted clusters: (category, village, text) repeated over a few days — the problems 未诉即办 should catch.
const CLUSTERS: [(&str, &str, &[&str]); 3] = [
    (
        "ludeng",
        "430603001002",
        &[
            "八字门社区东门路灯不亮好几天了",
            "八字门社区路灯晚上全部不亮",
            "社区东门那排路灯坏了不亮",
            "路灯不亮，八字门社区晚上一片漆黑",
        ],
    ),
    (
        "gongshui",
        "430603101202",
        &[
            "陆城村停水三天了，一直没有来水",
            "停水三天了还没来水，老人吃水困难",
            "全村停水三天，什么时候来水",
            "停水三天没有通知，一直没来水",
        ],
    ),
    (
        "zaosheng",
        "430603002005",
        &[
            "工地夜间施工噪音太大睡不着",
            "夜间施工噪音扰民，十一点还在施工",
            "工地夜间施工噪音严重影响休息",
        ],
    ),
];

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn chance(&mut self, p: f64) -> bool {
        (self.next() % 10_000) as f64 / 10_000.0 < p
    }
}

/// 6,139 orders a year over about 250 working days.
pub const ORDERS_PER_WORKING_DAY: f64 = 6_139.0 / 250.0;

async fn session(store: &Store, username: &str) -> anyhow::Result<tongban_store::Session> {
    let (staff, _) = store
        .staff_by_username(username)
        .await?
        .ok_or_else(|| StoreError::NotFound(username.to_string()))?;
    let (_, s) = store
        .create_session(&staff, tongban_store::SessionKind::Api, Duration::hours(1))
        .await?;
    Ok(s)
}

/// Seeds `days` days of hotline activity ending now through the same use cases the operators use. Older orders
/// are further along (dispatched, signed, replied, revisited, closed); a share stays open, some overdue.
pub async fn demo(state: &tongban_app::App, region: &str, days: u32, scale: f64) -> anyhow::Result<usize> {
    let store = &state.store;
    let operator = session(store, "operator").await?;
    let supervisor = session(store, "supervisor").await?;
    let villages: Vec<String> = store
        .region_children("430603001")
        .await?
        .into_iter()
        .chain(store.region_children("430603101").await?)
        .map(|r| r.code)
        .collect();
    let cats = store.hotline_categories(region).await?;
    let mut rng = Rng(0x1234_5eed_6139);
    let per_day = (ORDERS_PER_WORKING_DAY * scale).round().max(1.0) as usize;
    let now = Utc::now();
    let mut made = 0;
    let mut staff_by_dept = std::collections::HashMap::new();
    let channels = [
        "phone", "phone", "phone", "phone", "web", "mailbox", "phone", "web", "npc", "cppcc",
    ];
    for d in (0..days).rev() {
        for n in 0..per_day {
            let at = now - Duration::days(i64::from(d)) - Duration::minutes((per_day - n) as i64 * 17);
            let (cat, text) = TEXTS[rng.below(TEXTS.len())];
            let content = text[rng.below(text.len())];
            let input = Intake {
                channel: channels[rng.below(channels.len())].into(),
                category: cat.into(),
                urgency: Some(if rng.chance(0.02) { "emergency" } else { "normal" }.into()),
                title: String::new(),
                content: content.into(),
                address: String::new(),
                area_code: villages.get(rng.below(villages.len())).cloned().unwrap_or_default(),
                lat: None,
                lon: None,
                caller_name: "市民".into(),
                caller_phone: format!("13{:09}", rng.next() % 1_000_000_000),
                attachments: Vec::new(),
            };
            let o = hotline::intake(state, region, "operator", input, "", None, at)
                .await
                .map_err(|e| anyhow::anyhow!(e.message))?;
            made += 1;
            let age = i64::from(d);
            advance(
                state,
                &operator,
                &supervisor,
                &mut staff_by_dept,
                &cats,
                o,
                age,
                &mut rng,
                at,
            )
            .await?;
        }
    }
    // The planted clusters arrive over the last three days.
    for (cat, village, texts) in CLUSTERS {
        for (i, t) in texts.iter().enumerate() {
            let at = now - Duration::hours(60 - 14 * i as i64);
            let input = Intake {
                channel: "phone".into(),
                category: cat.into(),
                urgency: None,
                title: String::new(),
                content: t.to_string(),
                address: String::new(),
                area_code: village.into(),
                lat: None,
                lon: None,
                caller_name: "市民".into(),
                caller_phone: format!("13{:09}", rng.next() % 1_000_000_000),
                attachments: Vec::new(),
            };
            hotline::intake(state, region, "operator", input, "", None, at)
                .await
                .map_err(|e| anyhow::anyhow!(e.message))?;
            made += 1;
        }
    }
    Ok(made)
}

#[allow(clippy::too_many_arguments)]
async fn advance(
    state: &tongban_app::App,
    operator: &tongban_store::Session,
    supervisor: &tongban_store::Session,
    staff_by_dept: &mut std::collections::HashMap<String, tongban_store::Session>,
    cats: &[HotlineCategory],
    mut o: tongban_store::WorkOrder,
    age_days: i64,
    rng: &mut Rng,
    at: DateTime<Utc>,
) -> anyhow::Result<()> {
    let Some(cat) = cats.iter().find(|c| c.code == o.category_code) else {
        return Ok(());
    };
    let dept = cat.department_code.clone();
    let staff = match staff_by_dept.get(&dept) {
        Some(s) => s.clone(),
        None => {
            let name = if dept == crate::seed::DEMO_DEPARTMENT {
                "reviewer".to_string()
            } else {
                format!("reviewer-{dept}")
            };
            let s = session(&state.store, &name).await?;
            staff_by_dept.insert(dept.clone(), s.clone());
            s
        }
    };
    // How far along: today's orders mostly wait; a week-old one is usually closed.
    let steps = (age_days * 2 + rng.below(3) as i64).min(7);
    let mut t = at;
    let mut step = |o: &tongban_store::WorkOrder, s: &tongban_store::Session, req: ActionRequest| {
        t += Duration::hours(2);
        let (s, number, t) = (s.clone(), o.number.clone(), t);
        async move {
            hotline::act(state, &s, &number, req, t)
                .await
                .map_err(|e| anyhow::anyhow!(e.message))
        }
    };
    let req = |action: &str, version: i64| ActionRequest {
        action: action.into(),
        version,
        ..Default::default()
    };
    if steps < 1 {
        return Ok(());
    }
    let mut r = req("dispatch", o.version);
    r.department = Some(dept.clone());
    o = step(&o, operator, r).await?;
    if steps < 2 {
        return Ok(());
    }
    if rng.chance(0.05) {
        let mut r = req("return", o.version);
        r.reason = Some("不属于本部门职责".into());
        o = step(&o, &staff, r).await?;
        let mut r = req("reject_return", o.version);
        r.reason = Some("经核实属于该部门职责".into());
        o = step(&o, operator, r).await?;
    }
    o = step(&o, &staff, req("sign", o.version)).await?;
    if steps < 4 {
        return Ok(());
    }
    let mut r = req("reply", o.version);
    r.reply = Some("已安排人员现场核实处理，问题已解决".into());
    o = step(&o, &staff, r).await?;
    if steps < 5 {
        return Ok(());
    }
    let mut r = req("revisit", o.version);
    let roll = rng.below(1000);
    // 91.7% satisfied in the report.
    r.satisfaction = Some(
        if roll < 700 {
            "满意"
        } else if roll < 917 {
            "基本满意"
        } else {
            "不满意"
        }
        .into(),
    );
    r.resolved = Some(roll < 950);
    o = step(&o, operator, r).await?;
    if steps < 6 {
        return Ok(());
    }
    if o.state == "review" {
        let mut r = req("review_close", o.version);
        r.note = Some("经督办核查，部门已依法依规处理".into());
        step(&o, supervisor, r).await?;
    } else {
        step(&o, operator, req("close", o.version)).await?;
    }
    Ok(())
}
