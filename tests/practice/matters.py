"""Generated matters with planted clusters, for the detector's tests (fixed seed, no database here).

``generate(seed)`` returns 200 unrelated matters and three planted clusters:
- ``elevator`` (5 matters, text): 老旧小区加装电梯, worded differently each time, filed under different
  categories and led by different departments;
- ``newborn`` (4 matters, text): 新生儿落户 and 出生医学证明, likewise;
- ``stalls`` (4 matters, category × department): one category led by one department, texts unrelated.
Unrelated matters are about a service (at most two matters each) and what went wrong with it (an object
and an outcome, drawn freely), in a place; besides the glue every matter uses (申请, 提供, 材料 …) two of
them share a word or two at most by chance.
"""

from __future__ import annotations

import random
from dataclasses import dataclass


def _words(text: str) -> list[str]:
    """Whitespace-separated words (long vocabularies read better as text than as list literals)."""
    return text.split()


SERVICES = _words(
    """
营业执照 食品经营许可 社保转移 医保报销 公积金提取 不动产登记 房产证 宅基地 林权证 驾驶证 车辆年检 护照
居住证 低保 残疾证 养老金 退休审批 失业金 人才补贴 创业贷款 税务登记 发票申领 环评审批 排污许可 施工许可
消防验收 竣工备案 供水接入 燃气开户 宽带安装 学位申请 转学手续 校车 疫苗接种 婚姻登记 殡葬补贴 渔船证书
农机补贴 土地流转 危房改造 拆迁补偿 停车收费 路灯维修 垃圾清运 噪音扰民 占道经营 劳动仲裁 工伤认定
药品许可 烟草专卖 酒类经营 印章刻制 银行开户 商标注册 专利申请 出口退税 社保缴费 医疗器械 网约车
旅馆业 娱乐场所 广告审批 树木砍伐 采砂许可 取水许可 河道管理 交通事故 户籍迁移 独生子女 计生奖励
道路运输证 建筑资质 安全生产许可 特种设备 危化品经营 兽药经营 种子经营 放射诊疗 民办学校 托育机构
养老机构 慈善组织 社会团体 文物修缮 地名变更 门牌编号 界址纠纷 征地补偿 青苗补偿 水土保持 防雷验收
人防工程 临时用地 林木采伐 野生动物 动物防疫 屠宰许可 生鲜乳收购 农药经营 饲料生产 粮食收购
档案查询 学历认证 职称评审 教师资格 医师执业 护士注册 律师执业 法律援助
"""
)

# What went wrong: an object and what happened to it, combined freely.
OBJECTS = _words(
    """
材料 证明 印章 签字 系统 预约 电话 口径 时限 收费 核查 数据 告知单 表格 原件 复印件 公证书 户口本 合同 发票
照片 指纹 图纸 测绘 报告 年报 承诺书 回执 短信 二维码
"""
)
OUTCOMES = _words(
    """
被退回 不认可 对不上 要重做 查不到 打不通 说法不一 拖延 丢失 过期 不受理 要重开 填错 不齐全 等太久 办不了
"""
)

PLACES = _words(
    """
城南 城北 江东 山下 新村 湖畔 塘头 桥头 岭下 枫桥 店口 次坞 安华 牌头 同山 璜山 陈宅 东白湖 五泄 马剑
"""
)


@dataclass(frozen=True)
class Matter:
    title: str
    description: str
    cluster: str | None = None  # the planted cluster it belongs to (None: unrelated)


def _unrelated(rng: random.Random, service: str) -> Matter:
    place, thing, outcome = rng.choice(PLACES), rng.choice(OBJECTS), rng.choice(OUTCOMES)
    title = f"{place}{service}{thing}{outcome}"
    description = f"本人在{place}申请{service}时{thing}{outcome}，又被要求提供相关材料。"
    return Matter(title, description)


def _subjects(rng: random.Random, count: int) -> list[str]:
    """The service each unrelated matter is about (at most two matters per service)."""
    return rng.sample(SERVICES * 2, count)


ELEVATOR = [
    (
        "{p}小区加装电梯审批难",
        "{p}小区老旧住宅想加装电梯，规划许可和消防意见两头跑，业主意见征询表不被认可。",
    ),
    (
        "老旧小区加装电梯规划许可办不下来",
        "{p}一带老小区加装电梯，规划部门要求全体业主同意，住建说归规划，审批一直卡住。",
    ),
    ("{p}加装电梯多部门推诿", "住宅加装电梯项目，业主已签字同意，规划许可迟迟不批，消防和住建互相推给对方。"),
    (
        "加装电梯资金补助和审批问题",
        "{p}老旧住宅加装电梯，规划审批材料退回三次，补助资金申请也说要先拿到规划许可。",
    ),
    ("{p}住宅楼加装电梯被卡", "老小区住宅加装电梯规划许可被卡，业主同意比例够了，审批部门仍说材料不全。"),
]

NEWBORN = [
    (
        "新生儿落户缺出生医学证明",
        "孩子在外地医院出生，出生医学证明补办不了，新生儿落户派出所不受理，{p}卫健说要回出生地。",
    ),
    ("{p}新生儿落户办不成", "新生儿落户需要出生医学证明，医院说信息没上传，派出所让找卫健，卫健让找医院。"),
    (
        "出生医学证明补办后仍不能落户",
        "补办的出生医学证明信息和户口簿不一致，新生儿落户被退回，{p}派出所要求先更正。",
    ),
    (
        "{p}孩子出生两个月还没落户",
        "新生儿落户时出生医学证明上父亲姓名有误，医院更正流程不清，派出所不能办理落户。",
    ),
]


def generate(seed: int = 20260314) -> list[Matter]:
    rng = random.Random(seed)
    subjects = _subjects(rng, 204)
    matters = [_unrelated(rng, subject) for subject in subjects[:200]]
    for title, description in ELEVATOR:
        place = rng.choice(PLACES)
        matters.append(Matter(title.format(p=place), description.format(p=place), "elevator"))
    for title, description in NEWBORN:
        place = rng.choice(PLACES)
        matters.append(Matter(title.format(p=place), description.format(p=place), "newborn"))
    for subject in subjects[200:]:
        unrelated = _unrelated(rng, subject)
        matters.append(Matter(unrelated.title, unrelated.description, "stalls"))
    rng.shuffle(matters)
    return matters
