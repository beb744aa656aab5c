package check

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	kjson "k8s.io/apimachinery/pkg/runtime/serializer/json"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/client-go/applyconfigurations"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
)

// KubeVersion is the Kubernetes release whose API the objects must fit:
// client-go v0.37's (go.mod pins it), whose compiled-in schema is that of
// the release's OpenAPI document. Capabilities.KubeVersion says the same to
// the templates.
const KubeVersion = "v1.37.0"

var (
	scheme = func() *runtime.Scheme {
		s := runtime.NewScheme()
		must(clientgoscheme.AddToScheme(s))
		must(monitoringv1.AddToScheme(s))
		return s
	}()
	// typeConverter holds Kubernetes' API schema (the structured-merge-diff
	// form of its OpenAPI document, as server-side apply uses it).
	typeConverter = applyconfigurations.NewTypeConverter(clientgoscheme.Scheme)
	strictDecoder = kjson.NewSerializerWithOptions(kjson.DefaultMetaFactory, scheme, scheme,
		kjson.SerializerOptions{Strict: true})
)

func must(err error) {
	if err != nil {
		panic(err)
	}
}

// StandardLabels are the labels every object of the chart carries (Helm's
// chart best practices); objects of one plane add app.kubernetes.io/component.
var StandardLabels = []string{
	"app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/version",
	"app.kubernetes.io/managed-by", "app.kubernetes.io/part-of", "helm.sh/chart",
}

// ValidateObjects checks each object against the API schema of KubeVersion
// (every field known, of the right type; unknown kinds and removed API
// versions refused), decodes it strictly into its Go type (quantities,
// int-or-strings, base64 data parse), applies apimachinery's validators to
// names and labels, checks what the schema cannot say (selectors that match
// their pods, probes and Services that name ports that exist, secrets and
// keys that exist, HPA targets, restricted pod security), and that the
// objects refer to one another correctly.
func ValidateObjects(objs []Rendered) []error {
	var errs []error
	typed := make([]runtime.Object, len(objs))
	for i, r := range objs {
		obj, err := validateOne(r)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", r, err))
			continue
		}
		typed[i] = obj
	}
	if len(errs) > 0 {
		return errs
	}
	return append(errs, crossCheck(objs, typed)...)
}

func validateOne(r Rendered) (runtime.Object, error) {
	u := r.Object
	gvk := u.GroupVersionKind()
	if gvk.Kind == "" || gvk.Version == "" {
		return nil, errors.New("no apiVersion or kind")
	}
	if !scheme.Recognizes(gvk) {
		return nil, fmt.Errorf("%s is not a kind of Kubernetes %s (nor of prometheus-operator)", gvk, KubeVersion)
	}
	if gvk.Group != monitoringv1.SchemeGroupVersion.Group {
		if _, err := typeConverter.ObjectToTyped(u); err != nil {
			return nil, fmt.Errorf("against the %s schema: %w", KubeVersion, err)
		}
	}
	data, err := json.Marshal(u.Object)
	if err != nil {
		return nil, err
	}
	obj, _, err := strictDecoder.Decode(data, nil, nil)
	if err != nil {
		return nil, fmt.Errorf("decoding: %w", err)
	}
	var errs field.ErrorList
	meta := field.NewPath("metadata")
	nameCheck := validation.IsDNS1123Subdomain
	if gvk.Kind == "Service" {
		nameCheck = validation.IsDNS1035Label
	}
	for _, msg := range nameCheck(u.GetName()) {
		errs = append(errs, field.Invalid(meta.Child("name"), u.GetName(), msg))
	}
	errs = append(errs, metav1validation.ValidateLabels(u.GetLabels(), meta.Child("labels"))...)
	for _, l := range StandardLabels {
		if u.GetLabels()[l] == "" {
			errs = append(errs, field.Required(meta.Child("labels").Key(l), "a standard label"))
		}
	}
	for k := range u.GetAnnotations() {
		for _, msg := range validation.IsQualifiedName(strings.ToLower(k)) {
			errs = append(errs, field.Invalid(meta.Child("annotations").Key(k), k, msg))
		}
	}
	switch o := obj.(type) {
	case *appsv1.Deployment:
		errs = append(errs, checkDeployment(o)...)
	case *policyv1.PodDisruptionBudget:
		spec := field.NewPath("spec")
		if (o.Spec.MinAvailable == nil) == (o.Spec.MaxUnavailable == nil) {
			errs = append(errs, field.Invalid(spec, "", "set exactly one of minAvailable and maxUnavailable"))
		}
		errs = append(errs, checkSelector(o.Spec.Selector, spec.Child("selector"))...)
	case *autoscalingv2.HorizontalPodAutoscaler:
		if o.Spec.MinReplicas != nil && *o.Spec.MinReplicas > o.Spec.MaxReplicas || o.Spec.MaxReplicas < 1 {
			errs = append(errs, field.Invalid(field.NewPath("spec", "maxReplicas"), o.Spec.MaxReplicas, "below minReplicas or 1"))
		}
	case *corev1.Service:
		if len(o.Spec.Selector) == 0 {
			errs = append(errs, field.Required(field.NewPath("spec", "selector"), "the plane's pods"))
		}
		for i, p := range o.Spec.Ports {
			for _, msg := range validation.IsValidPortName(p.Name) {
				errs = append(errs, field.Invalid(field.NewPath("spec", "ports").Index(i).Child("name"), p.Name, msg))
			}
		}
	case *monitoringv1.ServiceMonitor:
		errs = append(errs, checkSelector(&o.Spec.Selector, field.NewPath("spec", "selector"))...)
		if len(o.Spec.Endpoints) == 0 {
			errs = append(errs, field.Required(field.NewPath("spec", "endpoints"), ""))
		}
	}
	return obj, errs.ToAggregate()
}

func checkSelector(s *metav1.LabelSelector, p *field.Path) field.ErrorList {
	if s == nil || len(s.MatchLabels)+len(s.MatchExpressions) == 0 {
		return field.ErrorList{field.Required(p, "an empty selector selects every pod")}
	}
	return metav1validation.ValidateLabelSelector(s, metav1validation.LabelSelectorValidationOptions{}, p)
}

func checkDeployment(d *appsv1.Deployment) field.ErrorList {
	spec := field.NewPath("spec")
	errs := checkSelector(d.Spec.Selector, spec.Child("selector"))
	if len(errs) == 0 {
		sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
		if err != nil || !sel.Matches(labels.Set(d.Spec.Template.Labels)) {
			errs = append(errs, field.Invalid(spec.Child("selector"), d.Spec.Selector, "does not match the pod template's labels"))
		}
	}
	pod := d.Spec.Template.Spec
	podPath := spec.Child("template", "spec")
	if len(pod.Containers) == 0 {
		errs = append(errs, field.Required(podPath.Child("containers"), ""))
	}
	if sc := pod.SecurityContext; sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot {
		errs = append(errs, field.Required(podPath.Child("securityContext", "runAsNonRoot"), "true: the image runs as a non-root user"))
	}
	volumes := map[string]bool{}
	for _, v := range pod.Volumes {
		volumes[v.Name] = true
	}
	for i, c := range pod.Containers {
		p := podPath.Child("containers").Index(i)
		for _, msg := range validation.IsDNS1123Label(c.Name) {
			errs = append(errs, field.Invalid(p.Child("name"), c.Name, msg))
		}
		if c.Image == "" {
			errs = append(errs, field.Required(p.Child("image"), ""))
		}
		ports := map[string]bool{}
		for j, port := range c.Ports {
			for _, msg := range validation.IsValidPortName(port.Name) {
				errs = append(errs, field.Invalid(p.Child("ports").Index(j).Child("name"), port.Name, msg))
			}
			for _, msg := range validation.IsValidPortNum(int(port.ContainerPort)) {
				errs = append(errs, field.Invalid(p.Child("ports").Index(j).Child("containerPort"), port.ContainerPort, msg))
			}
			ports[port.Name] = true
		}
		for name, probe := range map[string]*corev1.Probe{"livenessProbe": c.LivenessProbe, "readinessProbe": c.ReadinessProbe, "startupProbe": c.StartupProbe} {
			if probe == nil {
				if name != "startupProbe" {
					errs = append(errs, field.Required(p.Child(name), ""))
				}
				continue
			}
			var port *intOrString
			switch {
			case probe.HTTPGet != nil:
				port = &intOrString{probe.HTTPGet.Port.String(), probe.HTTPGet.Port.IntValue()}
			case probe.TCPSocket != nil:
				port = &intOrString{probe.TCPSocket.Port.String(), probe.TCPSocket.Port.IntValue()}
			}
			if port != nil && port.num == 0 && !ports[port.name] {
				errs = append(errs, field.NotFound(p.Child(name, "port"), port.name))
			}
		}
		seen := map[string]bool{}
		for j, e := range c.Env {
			for _, msg := range validation.IsEnvVarName(e.Name) {
				errs = append(errs, field.Invalid(p.Child("env").Index(j).Child("name"), e.Name, msg))
			}
			if seen[e.Name] {
				errs = append(errs, field.Duplicate(p.Child("env").Index(j).Child("name"), e.Name))
			}
			seen[e.Name] = true
		}
		for j, m := range c.VolumeMounts {
			if !volumes[m.Name] {
				errs = append(errs, field.NotFound(p.Child("volumeMounts").Index(j).Child("name"), m.Name))
			}
		}
		for res, limit := range c.Resources.Limits {
			if req, ok := c.Resources.Requests[res]; ok && req.Cmp(limit) > 0 {
				errs = append(errs, field.Invalid(p.Child("resources", "requests").Key(string(res)), req.String(), "above its limit "+limit.String()))
			}
		}
		if len(c.Resources.Requests) == 0 || len(c.Resources.Limits) == 0 {
			errs = append(errs, field.Required(p.Child("resources"), "requests and limits"))
		}
		sc := c.SecurityContext
		if sc == nil || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
			sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") {
			errs = append(errs, field.Invalid(p.Child("securityContext"), "", "restricted: allowPrivilegeEscalation false and capabilities drop ALL"))
		}
	}
	return errs
}

type intOrString struct {
	name string
	num  int
}

// crossCheck checks what objects say of one another.
func crossCheck(objs []Rendered, typed []runtime.Object) []error {
	var errs []error
	var deployments []*appsv1.Deployment
	var services []*corev1.Service
	secrets := map[string]*corev1.Secret{}
	for _, o := range typed {
		switch o := o.(type) {
		case *appsv1.Deployment:
			deployments = append(deployments, o)
		case *corev1.Service:
			services = append(services, o)
		case *corev1.Secret:
			secrets[o.Name] = o
		}
	}
	seen := map[schema.GroupVersionKind]map[string]bool{}
	for _, r := range objs {
		gvk := r.Object.GroupVersionKind()
		if seen[gvk] == nil {
			seen[gvk] = map[string]bool{}
		}
		if seen[gvk][r.Object.GetName()] {
			errs = append(errs, fmt.Errorf("%s: rendered twice", r))
		}
		seen[gvk][r.Object.GetName()] = true
	}
	// selecting returns the deployments whose pods sel matches.
	selecting := func(sel labels.Selector) []*appsv1.Deployment {
		var out []*appsv1.Deployment
		for _, d := range deployments {
			if sel.Matches(labels.Set(d.Spec.Template.Labels)) {
				out = append(out, d)
			}
		}
		return out
	}
	for i, o := range typed {
		r := objs[i]
		switch o := o.(type) {
		case *appsv1.Deployment:
			for _, c := range o.Spec.Template.Spec.Containers {
				for _, e := range c.Env {
					ref := e.ValueFrom
					if ref == nil || ref.SecretKeyRef == nil {
						continue
					}
					s, ok := secrets[ref.SecretKeyRef.Name]
					optional := ref.SecretKeyRef.Optional != nil && *ref.SecretKeyRef.Optional
					switch {
					case !ok && len(secrets) > 0:
						errs = append(errs, fmt.Errorf("%s: env %s names secret %q, which the chart does not render", r, e.Name, ref.SecretKeyRef.Name))
					case ok && !optional && s.Data[ref.SecretKeyRef.Key] == nil && s.StringData[ref.SecretKeyRef.Key] == "":
						errs = append(errs, fmt.Errorf("%s: env %s needs key %q of secret %q, which it lacks", r, e.Name, ref.SecretKeyRef.Key, s.Name))
					}
				}
			}
		case *corev1.Service:
			ds := selecting(labels.SelectorFromSet(o.Spec.Selector))
			if len(ds) != 1 {
				errs = append(errs, fmt.Errorf("%s: selects the pods of %d deployments, want 1", r, len(ds)))
				continue
			}
			for _, p := range o.Spec.Ports {
				if p.TargetPort.IntValue() == 0 && !hasPort(ds[0], p.TargetPort.String()) {
					errs = append(errs, fmt.Errorf("%s: targetPort %q is no container port of %s", r, p.TargetPort.String(), ds[0].Name))
				}
			}
		case *policyv1.PodDisruptionBudget:
			sel, _ := metav1.LabelSelectorAsSelector(o.Spec.Selector)
			if len(selecting(sel)) != 1 {
				errs = append(errs, fmt.Errorf("%s: selects the pods of %d deployments, want 1", r, len(selecting(sel))))
			}
		case *autoscalingv2.HorizontalPodAutoscaler:
			t := o.Spec.ScaleTargetRef
			var target *appsv1.Deployment
			for _, d := range deployments {
				if t.Kind == "Deployment" && t.APIVersion == "apps/v1" && d.Name == t.Name {
					target = d
				}
			}
			switch {
			case target == nil:
				errs = append(errs, fmt.Errorf("%s: scales %s %s, which the chart does not render", r, t.Kind, t.Name))
			case target.Spec.Replicas != nil:
				errs = append(errs, fmt.Errorf("%s: %s sets replicas, which every upgrade would reset under the autoscaler", r, target.Name))
			default:
				for _, c := range target.Spec.Template.Spec.Containers {
					if _, ok := c.Resources.Requests[corev1.ResourceCPU]; !ok {
						errs = append(errs, fmt.Errorf("%s: container %s of %s requests no cpu, so CPU utilization is undefined", r, c.Name, target.Name))
					}
				}
			}
		case *monitoringv1.ServiceMonitor:
			sel, _ := metav1.LabelSelectorAsSelector(&o.Spec.Selector)
			var matched []*corev1.Service
			for _, s := range services {
				if sel.Matches(labels.Set(s.Labels)) {
					matched = append(matched, s)
				}
			}
			if len(matched) == 0 {
				errs = append(errs, fmt.Errorf("%s: selects no Service", r))
			}
			for _, ep := range o.Spec.Endpoints {
				for _, s := range matched {
					if !slices.ContainsFunc(s.Spec.Ports, func(p corev1.ServicePort) bool { return p.Name == ep.Port }) {
						errs = append(errs, fmt.Errorf("%s: endpoint port %q is no port of Service %s", r, ep.Port, s.Name))
					}
				}
			}
		}
	}
	return errs
}

func hasPort(d *appsv1.Deployment, name string) bool {
	for _, c := range d.Spec.Template.Spec.Containers {
		for _, p := range c.Ports {
			if p.Name == name {
				return true
			}
		}
	}
	return false
}
