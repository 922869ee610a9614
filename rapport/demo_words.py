"""Word lists for the generated demo book: common names and everyday CRM phrases.

Plain data, written for Rapport; common given and family names are facts of the
languages, the combinations are random."""

CN_FAMILY = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
CN_GIVEN = [
    "伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟",
    "涛", "明", "超", "秀兰", "霞", "平", "刚", "桂英", "小明", "晓东", "建华", "志强", "海燕",
    "文博", "思远", "雨桐", "子涵", "浩然", "欣怡", "俊杰", "佳琪", "宇轩", "梓萱", "一鸣",
    "晨曦", "嘉怡", "天佑", "若曦", "国栋", "慧敏", "立新", "春梅", "建国", "卫东", "红梅",
]
EN_GIVEN = [
    "James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David",
    "Elizabeth", "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah",
    "Charles", "Karen", "Daniel", "Lisa", "Matthew", "Nancy", "Anthony", "Sandra", "Mark",
    "Ashley", "Paul", "Emily", "Andrew", "Michelle", "Joshua", "Amanda", "Kevin", "Melissa",
    "Brian", "Rebecca", "George", "Laura", "Oliver", "Amelia", "Harry", "Isla", "Noah", "Chloé",
    "Zoë", "Rahul", "Priya", "Mei", "Kenji", "Aisha", "Omar", "Sofia", "Lucas", "Ingrid",
]
EN_FAMILY = [
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Wilson",
    "Anderson", "Taylor", "Thomas", "Moore", "Jackson", "Martin", "Lee", "Thompson", "White",
    "Harris", "Clark", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright", "Scott",
    "Green", "Baker", "Adams", "Nelson", "Hill", "Campbell", "Mitchell", "Roberts", "Carter",
    "Phillips", "Evans", "Turner", "O'Brien", "Müller", "Nakamura", "Patel", "Khan", "Rossi",
    "Novak", "Larsen", "Dubois", "Fernández",
]
CN_ORG_PREFIX = [
    "华信", "东方", "中科", "瑞丰", "恒达", "天成", "金桥", "宏图", "博远", "新程", "安泰", "联创",
    "鼎盛", "嘉禾", "远航", "明德", "长青", "正和", "汇通", "启明", "星河", "海川", "盛世", "泰和",
]
CN_ORG_SUFFIX = [
    ("科技有限公司", "Technology Co."), ("会计师事务所", "CPA Firm"), ("律师事务所", "Law Firm"),
    ("投资管理有限公司", "Investment Management"), ("物流集团", "Logistics Group"),
    ("医疗器械有限公司", "Medical Devices"), ("建筑设计院", "Architecture Institute"),
    ("保险经纪有限公司", "Insurance Brokers"), ("贸易有限公司", "Trading Co."),
    ("软件股份有限公司", "Software Inc."),
]
EN_ORG_FIRST = [
    "Northwind", "Bluewater", "Harbour", "Summit", "Evergreen", "Redwood", "Silverline",
    "Meridian", "Oakridge", "Pinecrest", "Lakeside", "Granite", "Brightpath", "Cobalt",
    "Keystone", "Westbrook", "Ironbridge", "Clearview", "Riverbend", "Highgate",
]
EN_ORG_SECOND = [
    ("Logistics", "Logistics"), ("Capital Partners", "Finance"), ("Health", "Healthcare"),
    ("Engineering", "Engineering"), ("Software", "Software"), ("Foods", "Food & Beverage"),
    ("Legal LLP", "Legal"), ("Retail Group", "Retail"), ("Insurance", "Insurance"),
    ("Manufacturing", "Manufacturing"), ("Energy", "Energy"), ("Property", "Real estate"),
]
CN_INDUSTRY = {
    "科技有限公司": "Technology", "会计师事务所": "Accounting", "律师事务所": "Legal",
    "投资管理有限公司": "Finance", "物流集团": "Logistics", "医疗器械有限公司": "Healthcare",
    "建筑设计院": "Engineering", "保险经纪有限公司": "Insurance", "贸易有限公司": "Trading",
    "软件股份有限公司": "Software",
}
CITIES = ["上海", "北京", "深圳", "杭州", "广州", "成都", "Hong Kong", "Singapore", "London",
          "New York", "Sydney", "Toronto", "Taipei", "Vancouver"]
TITLES = [
    ("CEO", True), ("CFO", True), ("COO", True), ("Head of Procurement", True),
    ("IT Director", True), ("总经理", True), ("财务总监", True), ("采购经理", False),
    ("Operations Manager", False), ("Engineer", False), ("Analyst", False),
    ("Project Manager", False), ("Partner", True), ("Office Manager", False),
    ("销售总监", False), ("技术主管", False), ("HR Manager", False), ("Assistant", False),
]
FACTS = {
    "history": ["Grew up in Chengdu", "Studied at Fudan University", "Served in the navy",
                "Moved to London in 2015", "在复旦大学读MBA", "First job was at a bank",
                "Ran a restaurant before consulting", "在深圳创业十年"],
    "family": ["Married, two daughters", "Son starts university next year", "Wife is a doctor",
               "Mother lives with them", "女儿在学钢琴", "Has twin boys aged 6",
               "Father recently retired", "儿子今年高考"],
    "sport": ["Plays golf on Saturdays", "Marathon runner", "Follows Manchester United",
              "喜欢打羽毛球", "Tennis at the club", "Swims every morning", "Cycles to work",
              "NBA fan, Warriors"],
    "admired": ["Admires Warren Buffett", "Reads everything about Zhang Yimou",
                "Big fan of Roger Federer", "敬佩任正非", "Quotes Steve Jobs often"],
    "hobby": ["Calligraphy", "Photography", "Collects tea (pu'er)", "钓鱼", "Gardening",
              "Plays the guitar", "Wine tasting", "Hiking in the hills", "下围棋"],
    "book": ["Loved 'Three-Body Problem'", "Reading 'Thinking, Fast and Slow'", "红楼梦",
             "Business biographies", "Crime novels"],
    "film": ["Favourite film: In the Mood for Love", "Likes Marvel films", "霸王别姬",
             "Documentaries about nature"],
    "food": ["Loves Sichuan hotpot", "Vegetarian", "Cantonese dim sum on Sundays",
             "Prefers Japanese food", "不吃辣", "Coffee, never tea", "Allergic to peanuts"],
    "dislike": ["Dislikes long meetings", "Hates cold calls", "不喜欢喝酒",
                "Dislikes being rushed", "Does not like small talk before 9am"],
    "goal": ["Wants to retire by 55", "Plans to expand into Southeast Asia",
             "Wants to list the company", "希望孩子出国读书", "Training for an Ironman",
             "Wants to write a book"],
}
TOPICS = ["pricing", "renewal", "project update", "golf", "family", "travel", "tax planning",
          "compliance", "hiring", "new office", "product demo", "contract", "续约", "报价",
          "旅游", "孩子教育", "audit", "market outlook", "introduction", "holiday"]
SUMMARIES = {
    "meeting": ["Quarterly review", "Kick-off meeting", "Workshop on requirements", "季度回顾会议",
                "Site visit", "Discussed renewal terms"],
    "call": ["Check-in call", "Called about the invoice", "电话沟通项目进度", "Follow-up call",
             "Quick call about timing"],
    "video": ["Video call with the finance team", "线上演示", "Remote demo"],
    "email": ["Sent the proposal", "Replied to their questions", "Shared meeting notes",
              "发送报价单", "Sent the monthly report"],
    "message": ["WeChat chat about the weekend", "微信问候", "Sent congratulations",
                "Shared an article they might like"],
    "meal": ["Lunch near their office", "Dinner with the team", "一起喝早茶", "Coffee catch-up"],
    "event": ["Met at the industry conference", "行业论坛", "Charity golf day"],
    "note": ["Noted a change in their org", "Heard they are hiring", "备注：客户预算调整"],
}
NOTES = [
    "", "", "",
    "- Asked about **timeline**\n- Wants a proposal by Friday",
    "They mentioned their daughter's piano exam. *Ask how it went.*",
    "客户对价格比较敏感，需要准备两个方案。",
    "Agreed next steps:\n\n1. Send references\n2. Book a site visit",
    "Budget approved for Q3; decision maker is the CFO.",
]
TAGS = ["vip", "golf", "referral-source", "alumni", "prospect", "key-account", "潜在客户",
        "老客户", "board", "partner"]
HOW_WE_MET = ["Introduced at a conference", "Former colleague", "Met through a client",
              "在校友会上认识", "Cold email that went well", "Neighbours", "朋友介绍",
              "Sat next to each other on a flight to Shanghai"]
